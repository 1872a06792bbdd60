/**
 * The engine the container tests drive: our dockerd (from source) on a containerd, each on
 * private dirs, socket, bridge and cgroup parent, so it runs beside other engines. Same
 * `docker()`/`api()` surface as test/helpers/host-engine.ts. Two stacks below dockerd, chosen
 * with `stack` (default: env TSD_CONTAINERS_STACK, else "tsd"):
 *   tsd     bin/tsd-containerd + our shim (io.containerd.tsd.v2) + tsd-runc — what the guest runs
 *   debian  Debian's containerd 1.6 + its runc shim + Debian runc — the reference for the same API
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { apiRequest, DOCKER_CLI, type ApiResponse, type DockerResult } from '../helpers/host-engine.js';

const run = promisify(execFile);

export interface ContainersEngine {
  dir: string;
  socketPath: string;
  cgroupParent: string;
  log(): string;
  docker(...args: string[]): Promise<DockerResult>;
  dockerWith(options: { input?: Buffer | string; timeoutMs?: number }, ...args: string[]): Promise<DockerResult>;
  dockerOk(...args: string[]): Promise<string>;
  api(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string> }): Promise<ApiResponse>;
  /** Stops dockerd only (containers keep running under containerd's shims). */
  stopDockerd(signal?: NodeJS.Signals): Promise<void>;
  startDockerd(): Promise<void>;
  stop(): Promise<void>;
}

function daemon(program: string, args: string[], env: NodeJS.ProcessEnv, sink: (text: string) => void): ChildProcess {
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  child.stdout!.on('data', (d: Buffer) => sink(d.toString()));
  child.stderr!.on('data', (d: Buffer) => sink(d.toString()));
  const onExit = (): void => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  process.once('exit', onExit);
  child.once('exit', () => process.off('exit', onExit));
  return child;
}

async function until(check: () => Promise<boolean>, what: string, log: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready in 60 s:\n${log()}`);
}

function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    child.once('exit', () => resolvePromise());
    child.kill(signal);
  });
}

export type Stack = 'tsd' | 'debian';

export async function startContainersEngine(options: { registry: string; stack?: Stack }): Promise<ContainersEngine> {
  const stack: Stack = options.stack ?? (process.env.TSD_CONTAINERS_STACK === 'debian' ? 'debian' : 'tsd');
  const dir = await mkdtemp(join(tmpdir(), 'tsdtest-ctrs-'));
  const tag = randomBytes(3).toString('hex');
  const socketPath = join(dir, 'docker.sock');
  const containerdSocket = join(dir, 'containerd.sock');
  const cgroupParent = `/tsdtest-${tag}`;
  let output = '';
  const sink = (text: string): void => void (output += text);
  await writeFile(join(dir, 'containerd.toml'), [
    'version = 2', `root = "${dir}/ctrd-root"`, `state = "${dir}/ctrd-state"`, 'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]', `  address = "${containerdSocket}"`, '[ttrpc]', `  address = "${containerdSocket}.ttrpc"`, '[debug]', '  address = ""', '[metrics]', '  address = ""',
  ].join('\n'));
  // Our shim is found on PATH (bin/), as containerd finds containerd-shim-<name>-v2.
  const path = `${resolve('bin')}:${process.env.PATH ?? ''}`;
  const containerd = stack === 'debian'
    ? daemon('/usr/bin/containerd', ['--config', join(dir, 'containerd.toml')], process.env, sink)
    : daemon(resolve('bin/tsd-containerd'), ['--address', containerdSocket, '--root', join(dir, 'ctrd-root'), '--state', join(dir, 'ctrd-state')], { ...process.env, PATH: path }, sink);
  await until(async () => output.includes(stack === 'debian' ? 'containerd successfully booted' : 'ready on'), 'containerd', () => output);
  const x = 200 + (parseInt(tag.slice(0, 2), 16) % 50);
  const y = 128 + (parseInt(tag.slice(2, 4), 16) % 120);
  const dockerdArgs = [
    '--import', 'tsx', resolve('guest/dockerd/main.ts'), '-H', `unix://${socketPath}`, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'),
    '--containerd', containerdSocket, '--registry-mirror', `http://${options.registry}`, '--insecure-registry', options.registry,
    '--bridge', `tsdc${tag}`, '--bip', `10.${x}.${y}.1/24`,
  ];
  const env = { ...process.env, PATH: path, TSD_CGROUP_PARENT: cgroupParent, TSD_CONTAINER_RUNTIME: stack === 'debian' ? 'io.containerd.runc.v2' : 'io.containerd.tsd.v2' };
  let dockerd: ChildProcess | undefined;
  const dockerEnv = { ...process.env, DOCKER_HOST: `unix://${socketPath}`, DOCKER_CONFIG: join(dir, 'docker-config') };
  const dockerWith = (opts: { input?: Buffer | string; timeoutMs?: number }, ...args: string[]): Promise<DockerResult> =>
    new Promise((resolvePromise, reject) => {
      const child = spawn(DOCKER_CLI, args, { env: dockerEnv, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
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
  const docker = (...args: string[]): Promise<DockerResult> => dockerWith({}, ...args);
  const startDockerd = async (): Promise<void> => {
    dockerd = daemon(process.execPath, dockerdArgs, env, sink);
    const child = dockerd;
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`dockerd exited:\n${output}`);
      return (await apiRequest(socketPath, 'GET', '/_ping')).status === 200;
    }, 'dockerd', () => output);
  };
  await startDockerd();
  return {
    dir,
    socketPath,
    cgroupParent,
    log: () => output,
    docker,
    dockerWith,
    async dockerOk(...args) {
      const result = await docker(...args);
      if (result.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
      return result.stdout;
    },
    api: (method, path, opts = {}) => apiRequest(socketPath, method, path, opts),
    stopDockerd: (signal = 'SIGTERM') => stopChild(dockerd, signal),
    startDockerd,
    async stop() {
      if (dockerd && dockerd.exitCode === null) {
        const ids = (await docker('ps', '-aq')).stdout.trim();
        if (ids) await docker('rm', '-f', ...ids.split('\n'));
      }
      await stopChild(dockerd);
      await stopChild(containerd);
      const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir));
      for (const m of mounts.reverse()) await run('umount', ['-l', m]).catch(() => undefined);
      // dockerd removes its nftables table at SIGTERM; one left by a dockerd that was killed is
      // found by our unique bridge name and removed (tables of other engines never mention it).
      const tables = (await run('nft', ['list', 'tables']).catch(() => ({ stdout: '' }))).stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((w) => w[0] === 'table');
      for (const [, family, name] of tables) {
        const body = (await run('nft', ['list', 'table', family!, name!]).catch(() => ({ stdout: '' }))).stdout;
        if (body.includes(`"tsdc${tag}"`)) await run('nft', ['delete', 'table', family!, name!]).catch(() => undefined);
      }
      await run('ip', ['link', 'del', `tsdc${tag}`]).catch(() => undefined);
      for (const sub of ['memory', 'cpu', 'pids', 'blkio', 'cpuset', 'devices', 'freezer', 'cpuacct', 'hugetlb', 'unified', '']) {
        await run('rmdir', [join('/sys/fs/cgroup', sub, cgroupParent)]).catch(() => undefined);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
