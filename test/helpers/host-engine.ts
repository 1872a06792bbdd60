/**
 * The one way tests start an engine: `npm run engine`'s launcher (guest/engine/main.ts, containerd +
 * dockerd from the built bundles) on temporary dirs and socket, with its own bridge (derived from
 * the root by the launcher) and its own cgroup parent, so it runs beside other engines. It has a
 * `docker(...args)` runner for the real CLI (/usr/local/bin/docker, DOCKER_HOST set, its own
 * DOCKER_CONFIG) and `api()` for raw requests over the socket. Stopped by PID (SIGTERM to the
 * launcher, which stops both daemons), then whatever a killed daemon left is removed.
 *
 * Two stacks below dockerd (`stack`, default "tsd"; `stackFromEnv()` reads TSD_CONTAINERS_STACK):
 *   tsd     bin/tsd-containerd + our shim (io.containerd.tsd.v2) + tsd-runc — what the guest runs
 *   debian  Debian's containerd 1.6 + its runc shim + Debian runc, started here and handed to the
 *           launcher with --containerd — the reference for the same API (opt-in)
 *
 *   const engine = await startHostEngine({ registry: fixtures.host });
 *   const { stdout } = await engine.docker('pull', 'busybox');
 *   await engine.stop();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const DOCKER_CLI = '/usr/local/bin/docker';
const LAUNCHER = resolve('guest/engine/main.ts');

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  /** The body parsed as JSON (throws if it is not). */
  json<T = unknown>(): T;
}

export type Stack = 'tsd' | 'debian';

/** TSD_CONTAINERS_STACK=debian runs a test file on Debian's containerd + runc instead of ours. */
export function stackFromEnv(): Stack {
  return process.env.TSD_CONTAINERS_STACK === 'debian' ? 'debian' : 'tsd';
}

export interface HostEngine {
  dir: string;
  socketPath: string;
  stack: Stack;
  /** The engine's cgroup parent: container cgroups are <controller>/<cgroupParent>/<id>. */
  cgroupParent: string;
  /** dockerd's data root (containers/<id>/… there). */
  dataRoot: string;
  /** containerd's state dir (the runtime's bundles under io.containerd.runtime.v2.task/moby/<id>). */
  containerdState: string;
  /** DOCKER_HOST value. */
  host: string;
  /** Output of the launcher and both daemons so far (for failure messages). */
  log(): string;
  /** Runs the docker CLI; never rejects on a non-zero exit (look at `code`). */
  docker(...args: string[]): Promise<DockerResult>;
  /** Like docker(), with stdin and options. */
  dockerWith(options: { input?: Buffer | string; timeoutMs?: number; env?: Record<string, string> }, ...args: string[]): Promise<DockerResult>;
  /** Runs the docker CLI and throws with its stderr if it fails; returns stdout. */
  dockerOk(...args: string[]): Promise<string>;
  /** A raw Engine API request over the socket. */
  api(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string> }): Promise<ApiResponse>;
  /** PID of a daemon now (the launcher restarts one that exits, so it can change). */
  pid(daemon: 'containerd' | 'dockerd'): Promise<number>;
  /**
   * Sends `signal` to a daemon and waits until the launcher has started it again and the Engine
   * API answers (bounded). For crash and live-restore tests.
   */
  crash(daemon: 'containerd' | 'dockerd', signal?: NodeJS.Signals, options?: CrashOptions): Promise<void>;
  /** SIGTERM to the launcher, wait for it, remove the dirs (unless keep). */
  stop(options?: { keep?: boolean }): Promise<void>;
  launcher: ChildProcess;
}

export interface CrashOptions {
  /**
   * Runs while the daemon is down: it is stopped (SIGSTOP, so it notices nothing) before, and gets
   * the signal after. For "what happened while dockerd was down" tests.
   */
  whileDown?: () => Promise<void>;
}

export interface HostEngineOptions {
  /** A registry on loopback: docker.io's mirror and insecure (plain HTTP), never Docker Hub itself. */
  registry?: string;
  /** What runs below dockerd (default tsd). */
  stack?: Stack;
  /** Written to a file passed as --config-file. */
  daemonJson?: Record<string, unknown>;
  /** Extra launcher arguments. */
  args?: string[];
  /** Reuse a root from a previous engine (restart tests). */
  dir?: string;
}

export async function startHostEngine(options: HostEngineOptions = {}): Promise<HostEngine> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'tsdtest-engine-')));
  const stack = options.stack ?? 'tsd';
  const socketPath = join(dir, 'docker.sock');
  const root = join(dir, 'engine');
  const cgroupParent = `/tsdtest-${randomBytes(3).toString('hex')}`;
  const args = ['--import', 'tsx', LAUNCHER, '--root', root, '--socket', socketPath, ...(options.args ?? [])];
  const daemonJson = {
    ...(options.registry ? { 'registry-mirrors': [`http://${options.registry}`], 'insecure-registries': [options.registry], 'docker-hub-origin': false } : {}),
    ...options.daemonJson,
  };
  if (options.daemonJson || options.registry) {
    await writeFile(join(dir, 'daemon.json'), JSON.stringify(daemonJson));
    args.push('--config-file', join(dir, 'daemon.json'));
  }
  let output = '';
  const debian = stack === 'debian' ? await startDebianContainerd(dir, root, (text) => (output += text)) : undefined;
  if (debian) args.push('--containerd', debian.address);
  // Our shim is found on PATH (bin/), as containerd finds containerd-shim-<name>-v2.
  const env = {
    ...process.env,
    PATH: `${resolve('bin')}:${process.env.PATH ?? ''}`,
    TSD_CGROUP_PARENT: cgroupParent,
    TSD_CONTAINER_RUNTIME: stack === 'debian' ? 'io.containerd.runc.v2' : 'io.containerd.tsd.v2',
  };
  const launcher = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  launcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  launcher.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const onExit = (): void => {
    if (launcher.pid !== undefined && launcher.exitCode === null && launcher.signalCode === null) process.kill(launcher.pid, 'SIGTERM');
  };
  process.once('exit', onExit);
  try {
    await new Promise<void>((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`host engine not ready in 120 s:\n${output}`)), 120_000);
      const check = (): void => {
        if (output.includes('engine ready:')) {
          clearTimeout(timer);
          resolvePromise();
        }
      };
      launcher.stdout!.on('data', check);
      launcher.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`host engine launcher exited with ${code} before it was ready:\n${output}`));
      });
    });
  } catch (error) {
    // A launch that failed leaves nothing: the launcher is gone or stopped, and a dir we made is removed.
    process.off('exit', onExit);
    if (launcher.exitCode === null && launcher.signalCode === null && launcher.pid !== undefined) {
      const exited = new Promise((resolvePromise) => launcher.once('exit', resolvePromise));
      process.kill(launcher.pid, 'SIGTERM');
      await exited;
    }
    await debian?.stop();
    if (!options.dir) await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const cliEnv = { ...process.env, DOCKER_HOST: `unix://${socketPath}`, DOCKER_CONFIG: join(dir, 'docker-config') };
  const dockerWith = (opts: { input?: Buffer | string; timeoutMs?: number; env?: Record<string, string> }, ...cliArgs: string[]): Promise<DockerResult> =>
    new Promise((resolvePromise, reject) => {
      const child = spawn(DOCKER_CLI, cliArgs, { env: { ...cliEnv, ...opts.env }, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout!.on('data', (d: Buffer) => out.push(d));
      child.stderr!.on('data', (d: Buffer) => err.push(d));
      if (opts.input !== undefined) {
        child.stdin!.on('error', () => undefined);
        child.stdin!.end(opts.input);
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolvePromise({ code: code ?? 137, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
      });
    });
  const docker = (...cliArgs: string[]): Promise<DockerResult> => dockerWith({}, ...cliArgs);

  const running = (): boolean => launcher.exitCode === null && launcher.signalCode === null;
  return {
    dir,
    socketPath,
    stack,
    cgroupParent,
    dataRoot: join(root, 'docker'),
    containerdState: join(root, 'containerd', 'state'),
    host: `unix://${socketPath}`,
    launcher,
    log: () => output,
    docker,
    dockerWith,
    async dockerOk(...cliArgs) {
      const result = await docker(...cliArgs);
      if (result.code !== 0) throw new Error(`docker ${cliArgs.join(' ')} failed (${result.code}): ${result.stderr}`);
      return result.stdout;
    },
    api: (method, path, opts = {}) => apiRequest(socketPath, method, path, opts),
    pid: (daemon) => readPid(dir, daemon),
    async crash(daemon, signal = 'SIGKILL', crashOptions = {}) {
      const before = await readPid(dir, daemon);
      const restarted = `${daemon} exited`;
      const seenBefore = output.split(restarted).length;
      if (crashOptions.whileDown) {
        process.kill(before, 'SIGSTOP');
        try {
          await crashOptions.whileDown();
        } finally {
          process.kill(before, signal);
          // A stopped process acts on a pending SIGTERM only once continued. SIGKILL ends it at once,
          // and the launcher may already have reaped it: a SIGCONT then fails with ESRCH.
          if (signal !== 'SIGKILL') process.kill(before, 'SIGCONT');
        }
      } else {
        process.kill(before, signal);
      }
      for (let i = 0; i < 600; i++) {
        const again = output.split(restarted).length > seenBefore;
        const pid = again ? await readPid(dir, daemon).catch(() => before) : before;
        if (pid !== before && (await apiRequest(socketPath, 'GET', '/_ping').then((r) => r.status === 200, () => false))) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${daemon} did not come back after ${signal}:\n${output}`);
    },
    async stop(stopOptions = {}) {
      // Containers first (a test may leave some running), while dockerd still answers.
      if (running() && !stopOptions.keep) {
        const ids = (await docker('ps', '-aq')).stdout.trim();
        if (ids) await docker('rm', '-f', ...ids.split('\n'));
      }
      process.off('exit', onExit);
      if (launcher.pid !== undefined && running()) {
        const exited = new Promise<void>((resolvePromise) => launcher.once('exit', () => resolvePromise()));
        process.kill(launcher.pid, 'SIGTERM');
        await exited;
      }
      await debian?.stop();
      if (!stopOptions.keep) {
        await removeLeftovers(dir, root, cgroupParent);
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Debian's containerd on its own config, root and state (under the launcher's layout paths). */
async function startDebianContainerd(dir: string, root: string, sink: (text: string) => void): Promise<{ address: string; stop(): Promise<void> }> {
  const address = join(dir, 'containerd-debian.sock');
  await mkdir(root, { recursive: true });
  await writeFile(join(dir, 'containerd.toml'), [
    'version = 2', `root = "${root}/containerd/root"`, `state = "${root}/containerd/state"`, 'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]', `  address = "${address}"`, '[ttrpc]', `  address = "${address}.ttrpc"`, '[debug]', '  address = ""', '[metrics]', '  address = ""',
  ].join('\n'));
  const child = spawn('/usr/bin/containerd', ['--config', join(dir, 'containerd.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const onExit = (): void => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  process.once('exit', onExit);
  let seen = '';
  const booted = new Promise<void>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`Debian containerd not ready in 60 s:\n${seen}`)), 60_000);
    const onData = (d: Buffer): void => {
      seen += d.toString();
      sink(d.toString());
      if (seen.includes('containerd successfully booted')) {
        clearTimeout(timer);
        resolvePromise();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Debian containerd exited with ${code}:\n${seen}`));
    });
  });
  const stop = async (): Promise<void> => {
    process.off('exit', onExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await booted;
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, stop };
}

/**
 * What a killed daemon leaves: mounts under the dir, the nftables table and bridge of this engine
 * (found by its bridge name, which no other engine uses), the cgroup parent.
 */
async function removeLeftovers(dir: string, root: string, cgroupParent: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir));
  for (const m of mounts.reverse()) await run('umount', ['-l', m]).catch(() => undefined);
  const bridge = await readFile(join(root, 'daemon.json'), 'utf8').then((text) => (JSON.parse(text) as { bridge?: string }).bridge, () => undefined);
  if (bridge) {
    const tables = (await run('nft', ['list', 'tables']).catch(() => ({ stdout: '' }))).stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((w) => w[0] === 'table');
    for (const [, family, name] of tables) {
      const body = (await run('nft', ['list', 'table', family!, name!]).catch(() => ({ stdout: '' }))).stdout;
      if (body.includes(`"${bridge}"`)) await run('nft', ['delete', 'table', family!, name!]).catch(() => undefined);
    }
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
  }
  // Children first (empty cgroups of containers a runtime had not removed yet), then the parent.
  // A container's last processes may still be exiting (killed with the engine): a few tries, 100 ms apart.
  const dirs = ['memory', 'cpu', 'pids', 'blkio', 'cpuset', 'devices', 'freezer', 'cpuacct', 'hugetlb', 'unified', 'systemd', ''].map((sub) => join('/sys/fs/cgroup', sub, cgroupParent));
  for (let attempt = 0; attempt < 50; attempt++) {
    const left = dirs.filter((d) => existsSync(d));
    if (left.length === 0) return;
    for (const d of left) await run('find', [d, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';']).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function readPid(dir: string, daemon: string): Promise<number> {
  const text = await readFile(join(dir, 'engine', `${daemon}.pid`), 'utf8');
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`bad pid file for ${daemon}: ${text}`);
  return pid;
}

export function apiRequest(
  socketPath: string, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  return new Promise((resolvePromise, reject) => {
    const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) || typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const headers: Record<string, string> = { ...options.headers };
    if (body !== undefined) {
      headers['content-length'] = String(Buffer.byteLength(body));
      headers['content-type'] ??= 'application/json';
    }
    const req = request({ socketPath, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const buffer = Buffer.concat(chunks);
        const text = buffer.toString('utf8');
        resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: buffer, text, json: <T>() => JSON.parse(text) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
