/**
 * `start`: make sure the task's group shim is serving, record its address in the bundle
 * (containerd reads <bundle>/address to reconnect after a restart) and print it. A new server is
 * spawned detached (its own session: setsid), with stdin closed and stdout/stderr on its own log
 * file, so it shares no fd with containerd and outlives it. It reports readiness on fd 3.
 * Starts of one group are serialized by a lock directory, so two tasks never race two servers.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { TsdError } from '../api/errors.js';
import { writeFileAtomicSync } from '../lib/atomic-file.js';
import { TtrpcClient } from '../ttrpc/client.js';
import type { ShimFlags } from './flags.js';
import { idleLingerMs } from './idle-linger.js';
import { bundleAnnotations, groupKey, shimGroup, SOCKET_DIR, withGroupLock, type ShimGroup } from './group.js';
import { TASK_SERVICE } from './shim-protos.js';

export async function startVerb(flags: ShimFlags): Promise<string> {
  const bundle = process.cwd();
  idleLingerMs(); // a bad TSD_SHIM_IDLE_SECONDS fails this start, where containerd shows the error
  const group = shimGroup(flags.address, flags.namespace, groupKey(flags.namespace, flags.id, bundleAnnotations(bundle)));
  mkdirSync(SOCKET_DIR, { recursive: true });
  mkdirSync(group.dir, { recursive: true });
  const address = `unix://${group.socket}`;
  await withGroupLock(group.dir, async () => {
    if (!(await reserve(group.socket, flags.id))) await spawnServer(flags, group);
  });
  writeFileAtomicSync(join(bundle, 'address'), address);
  rmSync(join(bundle, 'shim.log'), { force: true });
  symlinkSync(join(group.dir, 'shim.log'), join(bundle, 'shim.log'));
  return address;
}

/** Is the group's shim serving? Its Connect also reserves it for the task about to be created. */
async function reserve(socket: string, id: string): Promise<boolean> {
  let client: TtrpcClient | undefined;
  try {
    client = await TtrpcClient.connect(socket, { timeoutMs: 5000 });
    // Encoded by hand: loading the .proto files (protobufjs parse + codegen) was the largest part
    // of this short-lived process's CPU, and only the answer's status matters here.
    await client.call(TASK_SERVICE, 'Connect', connectRequest(id), { timeoutMs: 5000 });
    return true;
  } catch {
    return false;
  } finally {
    client?.close();
  }
}

/** containerd.task.v2.ConnectRequest { string id = 1; } in protobuf wire format. */
export function connectRequest(id: string): Buffer {
  const bytes = Buffer.from(id, 'utf8');
  const length: number[] = [];
  let n = bytes.length;
  do {
    length.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x0a, ...length]), bytes]);
}

async function spawnServer(flags: ShimFlags, group: ShimGroup): Promise<void> {
  const logPath = join(group.dir, 'shim.log');
  const logFd = openSync(logPath, 'a');
  const args = [
    // A long-lived, mostly idle server: small young generation, V8 tuned for size over speed
    // (--lite-mode: no optimizing compiler, ~7 MiB less RSS; bulk output copying measured no slower).
    '--max-semi-space-size=1', '--optimize-for-size', '--lite-mode',
    ...process.execArgv, process.argv[1]!,
    '-namespace', flags.namespace, '-id', flags.id, '-address', flags.address, '-publish-binary', flags.publishBinary,
    '-socket', group.socket, ...(flags.debug ? ['-debug'] : []), 'serve',
  ];
  const child = spawn(process.execPath, args, { cwd: group.dir, detached: true, stdio: ['ignore', logFd, logFd, 'pipe'], env: { UV_THREADPOOL_SIZE: '16', ...process.env } });
  closeSync(logFd);
  const ready = child.stdio[3] as Socket;
  try {
    await new Promise<void>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new TsdError('unavailable', `the shim server did not start in 30 s; see ${logPath}`)), 30_000);
      ready.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new TsdError('internal', `the shim server exited with ${code} before serving: ${tail(logPath)}`));
      });
    });
  } catch (error) {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    throw error;
  } finally {
    ready.destroy();
    child.unref();
  }
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}
