/**
 * A host-mode engine for tests: `npm run engine`'s launcher (guest/engine/main.ts, containerd +
 * dockerd from the built bundles) on temporary dirs and socket, with a `docker(...args)` runner
 * for the real CLI (/usr/local/bin/docker, DOCKER_HOST set, its own DOCKER_CONFIG) and `api()` for
 * raw requests over the socket. Stopped by PID (SIGTERM to the launcher, which stops both daemons).
 *
 *   const engine = await startHostEngine({ daemonJson: { 'registry-mirrors': [`http://${fixtures.host}`] } });
 *   const { stdout } = await engine.docker('pull', 'busybox');
 *   await engine.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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

export interface HostEngine {
  dir: string;
  socketPath: string;
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
  crash(daemon: 'containerd' | 'dockerd', signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM to the launcher, wait for it, remove the dirs (unless keep). */
  stop(options?: { keep?: boolean }): Promise<void>;
  launcher: ChildProcess;
}

export interface HostEngineOptions {
  /** Written to a file passed as --config-file. */
  daemonJson?: Record<string, unknown>;
  /** Extra launcher arguments. */
  args?: string[];
  /** Reuse a root from a previous engine (restart tests). */
  dir?: string;
}

export async function startHostEngine(options: HostEngineOptions = {}): Promise<HostEngine> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'tsdtest-engine-')));
  const socketPath = join(dir, 'docker.sock');
  const args = ['--import', 'tsx', LAUNCHER, '--root', join(dir, 'engine'), '--socket', socketPath, ...(options.args ?? [])];
  if (options.daemonJson) {
    await writeFile(join(dir, 'daemon.json'), JSON.stringify(options.daemonJson));
    args.push('--config-file', join(dir, 'daemon.json'));
  }
  const launcher = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
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
    if (!options.dir) await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const env = { ...process.env, DOCKER_HOST: `unix://${socketPath}`, DOCKER_CONFIG: join(dir, 'docker-config') };
  const dockerWith = (opts: { input?: Buffer | string; timeoutMs?: number; env?: Record<string, string> }, ...cliArgs: string[]): Promise<DockerResult> =>
    new Promise((resolvePromise, reject) => {
      const child = spawn(DOCKER_CLI, cliArgs, { env: { ...env, ...opts.env }, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
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

  return {
    dir,
    socketPath,
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
    async crash(daemon, signal = 'SIGKILL') {
      const before = await readPid(dir, daemon);
      process.kill(before, signal);
      const restarted = `${daemon} exited`;
      const seenBefore = output.split(restarted).length;
      for (let i = 0; i < 600; i++) {
        const again = output.split(restarted).length > seenBefore;
        const pid = again ? await readPid(dir, daemon).catch(() => before) : before;
        if (pid !== before && (await apiRequest(socketPath, 'GET', '/_ping').then((r) => r.status === 200, () => false))) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${daemon} did not come back after ${signal}:\n${output}`);
    },
    async stop(stopOptions = {}) {
      process.off('exit', onExit);
      if (launcher.pid !== undefined && launcher.exitCode === null && launcher.signalCode === null) {
        const exited = new Promise<void>((resolvePromise) => launcher.once('exit', () => resolvePromise()));
        process.kill(launcher.pid, 'SIGTERM');
        await exited;
      }
      if (!stopOptions.keep) await rm(dir, { recursive: true, force: true });
    },
  };
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
