/**
 * Runs bin/tsd-containerd (the built bundle) for tests on a temporary socket with temporary root
 * and state dirs, and Debian's real `ctr` against it. Stopped by PID; `kill9` + `restart` keep
 * the same dirs, for crash tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const TSD_CONTAINERD = resolve('bin/tsd-containerd');
export const CTR = '/usr/bin/ctr';

export interface CtrResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running `ctr events`: what it printed so far, and how to end it. */
export interface EventsWatch {
  text(): string;
  stop(): void;
}

export class ContainerdDaemon {
  #child: ChildProcess | undefined;
  #stderr = '';

  private constructor(readonly dir: string) {}

  get address(): string {
    return join(this.dir, 'containerd.sock');
  }
  get root(): string {
    return join(this.dir, 'root');
  }
  get state(): string {
    return join(this.dir, 'state');
  }
  get pid(): number | undefined {
    return this.#child?.pid;
  }
  get stderr(): string {
    return this.#stderr;
  }
  /** A runc root of this daemon's own (`ctr run --runc-root`), so container ids never collide with other tests'. */
  get runcRoot(): string {
    return join(this.dir, 'runc');
  }
  get running(): boolean {
    const child = this.#child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  static async start(): Promise<ContainerdDaemon> {
    const daemon = new ContainerdDaemon(await mkdtemp(join(tmpdir(), 'tsdtest-ctrd-')));
    try {
      await daemon.restart();
    } catch (error) {
      // No test will get this daemon to stop: leave no dir behind.
      await daemon.#signal('SIGKILL');
      await rm(daemon.dir, { recursive: true, force: true });
      throw error;
    }
    return daemon;
  }

  /** Starts the daemon (again) on the same dirs; resolves once it prints its ready line. */
  async restart(): Promise<void> {
    const child = spawn(TSD_CONTAINERD, ['--address', this.address, '--root', this.root, '--state', this.state], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    // If the test process dies before its teardown, the daemon must not outlive it.
    const onExit = (): void => void (child.pid !== undefined && child.exitCode === null && child.signalCode === null && process.kill(child.pid, 'SIGKILL'));
    process.once('exit', onExit);
    child.once('exit', () => process.off('exit', onExit));
    child.stderr!.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    await new Promise<void>((resolvePromise, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`tsd-containerd did not become ready in 30 s: ${this.#stderr}`)), 30_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('ready on')) {
          clearTimeout(timer);
          resolvePromise();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`tsd-containerd exited with ${code}: ${this.#stderr}`));
      });
    });
  }

  /** kill -9, waiting until the process is gone. */
  async kill9(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  /** SIGTERM, waiting until the daemon has exited; dirs, shims and tasks stay. */
  async terminate(): Promise<void> {
    await this.#signal('SIGTERM');
  }

  /**
   * Ends the daemon and removes its dirs. Tasks still there are killed and deleted first (their
   * shims outlive the daemon by design), and mounts left under the dir are detached before the
   * removal, so it never deletes through a container's rootfs into its snapshot.
   */
  async stop(): Promise<void> {
    if (!this.running && existsSync(join(this.state, 'io.containerd.runtime.v2.task'))) await this.restart().catch(() => undefined);
    if (this.running) await this.removeAllTasks();
    await this.#signal('SIGTERM');
    for (const mountPoint of mountsUnder(this.dir)) spawnSync('umount', ['-l', mountPoint]);
    await rm(this.dir, { recursive: true, force: true });
  }

  /** `ctr task delete --force` for every task in every namespace. */
  async removeAllTasks(): Promise<void> {
    const namespaces = (await this.ctr(['namespaces', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
    for (const namespace of namespaces) {
      const tasks = (await this.ctr(['tasks', 'ls', '-q'], { namespace })).stdout.split('\n').filter(Boolean);
      for (const id of tasks) await this.ctr(['tasks', 'delete', '--force', id], { namespace });
    }
  }

  /** Runs `ctr --address SOCK [-n NAMESPACE] ARGS`. */
  ctr(args: readonly string[], options: { namespace?: string; input?: Buffer | string; timeoutMs?: number } = {}): Promise<CtrResult> {
    const namespaceArgs = options.namespace ? ['--namespace', options.namespace] : [];
    return new Promise((resolvePromise, reject) => {
      const input = options.input;
      const child = spawn(CTR, ['--address', this.address, ...namespaceArgs, ...args], { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      if (input !== undefined) {
        child.stdin!.on('error', () => undefined); // ctr may exit before reading all of it
        child.stdin!.end(input);
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolvePromise({ code: code ?? 137, stdout, stderr });
      });
    });
  }

  /** `ctr` that must succeed; returns stdout. */
  async ctrOk(args: readonly string[], options: { namespace?: string; input?: Buffer | string } = {}): Promise<string> {
    const result = await this.ctr(args, options);
    if (result.code !== 0) throw new Error(`ctr ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return result.stdout;
  }

  /**
   * Starts `ctr events` and returns once its subscription is live. ctr subscribes
   * asynchronously, so namespaces `events-probe-N` (label k=v) are created until one of their
   * /namespaces/create events is seen (bounded; throws if none arrives).
   */
  async subscribeEvents(): Promise<EventsWatch> {
    const events = spawn(CTR, ['--address', this.address, 'events'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    events.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const watch: EventsWatch = {
      text: () => output,
      stop: () => void (events.pid && events.exitCode === null && process.kill(events.pid, 'SIGKILL')),
    };
    for (let i = 0; i < 50 && !output.includes('/namespaces/create'); i++) {
      await this.ctrOk(['namespaces', 'create', `events-probe-${i}`, 'k=v']);
      await new Promise((resolvePromise) => setTimeout(resolvePromise, 200));
    }
    if (!output.includes('/namespaces/create')) {
      watch.stop();
      throw new Error(`ctr events saw no /namespaces/create: ${output}`);
    }
    return watch;
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
    process.kill(child.pid, signal);
    await exited;
  }
}

/** Mount points at or below `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((line) => line.split(' ')[4] ?? '');
  return points.filter((point) => point === dir || point.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
}
