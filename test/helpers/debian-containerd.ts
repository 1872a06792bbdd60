/**
 * Debian's real containerd (1.6) for tests of our shim: its own socket, root, state and ttrpc
 * address under a temporary dir, a generated config, and bin/ first on PATH so that runtime
 * io.containerd.tsd.v2 resolves to bin/containerd-shim-tsd-v2. Stopped (or killed -9) by PID;
 * restart() keeps the same dirs, as containerd does after a crash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { closeSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CONTAINERD = '/usr/bin/containerd';
export const CTR = '/usr/bin/ctr';
export const SHIM_RUNTIME = 'io.containerd.tsd.v2';
const BIN_DIR = resolve('bin');

export interface CtrResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class DebianContainerd {
  #child: ChildProcess | undefined;

  private constructor(readonly dir: string) {}

  get address(): string {
    return join(this.dir, 'containerd.sock');
  }
  get ttrpcAddress(): string {
    return `${this.address}.ttrpc`;
  }
  get state(): string {
    return join(this.dir, 'state');
  }
  get logPath(): string {
    return join(this.dir, 'containerd.log');
  }
  get pid(): number | undefined {
    return this.#child?.pid;
  }
  /** The environment containerd (and so the shims it starts) runs with. */
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, PATH: `${BIN_DIR}:${process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` };
  }

  static async start(): Promise<DebianContainerd> {
    const daemon = new DebianContainerd(await mkdtemp(join(tmpdir(), 'tsd-dctr-')));
    await writeFile(join(daemon.dir, 'config.toml'), [
      'version = 2',
      `root = "${join(daemon.dir, 'root')}"`,
      `state = "${daemon.state}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs",',
      '  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
      '[grpc]', `  address = "${daemon.address}"`,
      '[ttrpc]', `  address = "${daemon.ttrpcAddress}"`,
      '[debug]', '  address = ""',
      '[metrics]', '  address = ""',
      '',
    ].join('\n'));
    await daemon.restart();
    return daemon;
  }

  /** Starts containerd (again) on the same dirs and waits until `ctr version` answers. */
  async restart(): Promise<void> {
    const logFd = openSync(this.logPath, 'a');
    const child = spawn(CONTAINERD, ['-c', join(this.dir, 'config.toml')], { stdio: ['ignore', logFd, logFd], env: this.env });
    closeSync(logFd);
    this.#child = child;
    const onExit = (): void => void (child.pid !== undefined && child.exitCode === null && child.signalCode === null && process.kill(child.pid, 'SIGKILL'));
    process.once('exit', onExit);
    child.once('exit', () => process.off('exit', onExit));
    for (let attempt = 0; ; attempt++) {
      if ((await this.ctr(['version'])).code === 0) return;
      if (child.exitCode !== null) throw new Error(`containerd exited with ${child.exitCode}; see ${this.logPath}`);
      if (attempt > 300) throw new Error(`containerd did not answer in 30 s; see ${this.logPath}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async kill9(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  /** Removes every task and container left in the namespaces (their shims then shut down), stops containerd, removes its dirs. */
  async stop(namespaces: readonly string[] = ['default']): Promise<void> {
    if (this.#child && this.#child.exitCode === null) {
      for (const namespace of namespaces) await this.removeAll(namespace);
    }
    await this.#signal('SIGTERM');
    await rm(this.dir, { recursive: true, force: true });
  }

  async removeAll(namespace: string): Promise<void> {
    const tasks = (await this.ctr(['task', 'ls', '-q'], { namespace })).stdout.split('\n').filter(Boolean);
    for (const id of tasks) {
      await this.ctr(['task', 'kill', '-s', 'SIGKILL', id], { namespace });
      await this.ctr(['task', 'delete', '--force', id], { namespace });
    }
    const containers = (await this.ctr(['containers', 'ls', '-q'], { namespace })).stdout.split('\n').filter(Boolean);
    for (const id of containers) await this.ctr(['containers', 'rm', id], { namespace });
  }

  /** Runs `ctr --address SOCK -n NAMESPACE ARGS`. */
  ctr(args: readonly string[], options: { namespace?: string; input?: string; timeoutMs?: number } = {}): Promise<CtrResult> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(CTR, ['--address', this.address, '--namespace', options.namespace ?? 'default', ...args], {
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      if (options.input !== undefined) {
        child.stdin!.on('error', () => undefined);
        child.stdin!.end(options.input);
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolvePromise({ code: code ?? 137, stdout, stderr });
      });
    });
  }

  async ctrOk(args: readonly string[], options: { namespace?: string; input?: string; timeoutMs?: number } = {}): Promise<string> {
    const result = await this.ctr(args, options);
    if (result.code !== 0) throw new Error(`ctr ${args.join(' ')} failed (${result.code}): ${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(child.pid, signal);
    await exited;
  }
}
