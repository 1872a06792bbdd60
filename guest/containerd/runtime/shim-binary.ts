/**
 * The shim binary and its two one-shot commands, containerd 1.6's v2 bootstrap:
 *   <shim> -namespace NS -address ADDR -publish-binary SELF -id ID start
 *       cwd = bundle, env TTRPC_ADDRESS=<ADDR>.ttrpc, stdin = the runtime options (a protobuf
 *       Any, or nothing); prints the ttrpc address of the shim it left running, then exits.
 *   <shim> -namespace NS -address ADDR -publish-binary SELF -id ID -bundle DIR delete
 *       cleans up after a shim that is gone; prints a containerd.task.v2.DeleteResponse.
 * Runtime names map to binaries like containerd's: io.containerd.runc.v2 -> containerd-shim-runc-v2.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { TsdError } from '../../api/errors.js';
import { fromTimestamp, type Timestamp } from '../api/timestamps.js';
import { loadApi } from '../api/load-api.js';
import type { AnyMessage } from '../api/event-types.js';
import type { TaskBundle } from './bundle.js';

export interface ShimEnvironment {
  /** containerd's gRPC socket. */
  address: string;
  /** containerd's ttrpc socket for events (<address>.ttrpc). */
  ttrpcAddress: string;
  /** This daemon's own binary (bin/tsd-containerd), passed as -publish-binary. */
  publishBinary: string;
}

export interface ShimExit {
  pid: number;
  exitStatus: number;
  exitedAt: Date;
}

/** containerd-shim-<name>-<version> for "<prefix>.<name>.<version>"; a path is taken as it is. */
export function shimBinaryName(runtime: string): string {
  const parts = runtime.split('.');
  if (parts.length < 2 || parts.some((part) => part === '')) {
    throw new TsdError('invalid-argument', `invalid runtime name ${runtime}, correct runtime name should be either format like \`io.containerd.runc.v1\` or a full path to the binary`);
  }
  return `containerd-shim-${parts[parts.length - 2]}-${parts[parts.length - 1]}`;
}

/** Looks beside this daemon's binary first, then on PATH (containerd's order). */
export function resolveShimBinary(runtime: string, env: ShimEnvironment): string {
  if (isAbsolute(runtime)) {
    if (!executable(runtime)) throw new TsdError('not-found', `runtime binary ${runtime}`);
    return runtime;
  }
  const name = shimBinaryName(runtime);
  const dirs = [dirname(env.publishBinary), ...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean)];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (executable(candidate)) return candidate;
  }
  throw new TsdError('not-found', `runtime "${runtime}" binary not installed "${name}"`);
}

/** Runs `start`; resolves with the address the shim printed. */
export async function startShim(binary: string, bundle: TaskBundle, env: ShimEnvironment, options: AnyMessage | null): Promise<string> {
  const stdin = options ? Buffer.from(loadApi().events.lookupType('google.protobuf.Any').encode(options).finish()) : Buffer.alloc(0);
  const result = await run(binary, [...commonArgs(bundle, env), '-id', bundle.id, 'start'], bundle.path, env, stdin, COMMAND_TIMEOUT_MS);
  if (result.code !== 0) throw new TsdError('internal', `start shim ${binary} for ${bundle.id}: ${(result.stdout.toString() + result.stderr.toString()).trim() || `exit status ${result.code}`}`);
  const address = result.stdout.toString().trim();
  if (address === '') throw new TsdError('internal', `shim ${binary} printed no address`);
  return address;
}

/** Runs `delete` for a shim that is gone; resolves with the exit it reports. */
export async function deleteShim(binary: string, bundle: TaskBundle, env: ShimEnvironment): Promise<ShimExit> {
  const result = await run(binary, [...commonArgs(bundle, env), '-id', bundle.id, '-bundle', bundle.path, 'delete'], bundle.path, env, Buffer.alloc(0), COMMAND_TIMEOUT_MS);
  if (result.code !== 0) throw new TsdError('internal', `shim delete ${bundle.id}: ${result.stderr.toString().trim() || `exit status ${result.code}`}`);
  const type = loadApi().ttrpc.lookupType('containerd.task.v2.DeleteResponse');
  const response = type.toObject(type.decode(result.stdout), { longs: Number, defaults: true }) as { pid: number; exitStatus: number; exitedAt: Timestamp | null };
  return { pid: response.pid, exitStatus: response.exitStatus, exitedAt: fromTimestamp(response.exitedAt) ?? new Date() };
}

/** A shim's start or delete that has not finished by then is killed and reported (a hung shim binary must not hang Create). */
const COMMAND_TIMEOUT_MS = 60_000;

function commonArgs(bundle: TaskBundle, env: ShimEnvironment): string[] {
  return ['-namespace', bundle.namespace, '-address', env.address, '-publish-binary', env.publishBinary];
}

interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

function run(binary: string, args: string[], cwd: string, env: ShimEnvironment, input: Buffer, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      cwd,
      env: { ...process.env, TTRPC_ADDRESS: env.ttrpcAddress, GOMAXPROCS: '2' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => undefined); // a shim that ignores its options may close stdin early
    child.stdin.end(input);
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new TsdError('unavailable', `${binary} ${args[args.length - 1] ?? ''} did not finish in ${timeoutMs / 1000} s (killed)`));
    }, timeoutMs);
    child.once('exit', () => clearTimeout(deadline));
    child.once('error', (error) => {
      clearTimeout(deadline);
      reject(new TsdError('internal', `run ${binary}: ${error.message}`, { cause: error }));
    });
    // Not 'close': a shim whose daemon child kept our pipes open would hold it forever. After the
    // command exits, its output is what arrives until the pipes end (or a second passes).
    child.once('exit', (code, signal) => {
      const finish = (): void => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
      };
      if (child.stdout.readableEnded) return finish();
      const timer = setTimeout(finish, 1000);
      child.stdout.once('end', () => {
        clearTimeout(timer);
        setImmediate(finish);
      });
    });
  });
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
