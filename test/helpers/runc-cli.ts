/**
 * Runs bin/tsd-runc (the built bundle) for tests, with a state root of the test's own, and the
 * checks every runtime test ends with: nothing left in the root, no cgroup, no process.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const TSD_RUNC = resolve('bin/tsd-runc');
export const DEBIAN_RUNC = '/usr/sbin/runc';

export interface RuncResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class RuncCli {
  readonly root = mkdtempSync(join(tmpdir(), 'tsdtest-runc-root-'));
  private calls = 0;
  constructor(private readonly binary = TSD_RUNC) {}

  /**
   * Runs the runtime to completion. Output goes through files, not pipes: after `create` or
   * `run -d` the container keeps the runtime's stdio open, so a pipe would never reach EOF.
   */
  run(args: readonly string[], options: { input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<RuncResult> {
    const n = this.calls++;
    const outFile = join(this.root, `.out-${n}`);
    const errFile = join(this.root, `.err-${n}`);
    const out = openSync(outFile, 'w');
    const err = openSync(errFile, 'w');
    return new Promise((resolvePromise, reject) => {
      const child = spawn(this.binary, ['--root', this.root, ...args], { cwd: options.cwd, stdio: ['pipe', out, err] });
      closeSync(out);
      closeSync(err);
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(options.input ?? '');
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        const stdout = readFileSync(outFile, 'utf8');
        const stderr = readFileSync(errFile, 'utf8');
        rmSync(outFile, { force: true });
        rmSync(errFile, { force: true });
        resolvePromise({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout, stderr });
      });
    });
  }

  /** Runs and fails the test with the runtime's stderr unless it exits 0. */
  async ok(args: readonly string[], options: { input?: string; cwd?: string } = {}): Promise<string> {
    const result = await this.run(args, options);
    if (result.code !== 0) throw new Error(`tsd-runc ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  }

  async state(id: string): Promise<{ status: string; pid: number; [key: string]: unknown }> {
    return JSON.parse(await this.ok(['state', id])) as { status: string; pid: number };
  }

  spawn(args: readonly string[], options: SpawnOptions = {}) {
    return spawn(this.binary, ['--root', this.root, ...args], options);
  }

  /** Containers still in the root (should be none at the end of a test). */
  leftovers(): string[] {
    try {
      return readdirSync(this.root).filter((name) => !name.startsWith('.'));
    } catch {
      return [];
    }
  }

  /** Force-deletes whatever a failed test left, then removes the root. */
  async cleanup(): Promise<void> {
    for (const id of this.leftovers()) await this.run(['delete', '--force', id]);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Mount points whose path contains `fragment` in the host's mount table. */
export function hostMountsContaining(fragment: string): string[] {
  const table = spawnSync('cat', ['/proc/self/mountinfo'], { encoding: 'utf8' }).stdout;
  return table.split('\n').filter((line) => line.includes(fragment));
}

/** Alive and not a zombie (a reaped-later zombie is gone as far as a container goes). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * The receiving end of --console-socket: the C helper's `recvtty` mode accepts the pty master
 * (SCM_RIGHTS) and relays it to its stdin/stdout, which this object drives.
 */
export class ConsoleReceiver {
  private output = '';
  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  static async listen(socketPath: string): Promise<ConsoleReceiver> {
    const child = spawn(helperBinary(), ['recvtty', socketPath], { stdio: ['pipe', 'pipe', 'inherit'] });
    const receiver = new ConsoleReceiver(child);
    await receiver.waitFor(/listening\n/);
    return receiver;
  }

  write(text: string): void {
    this.child.stdin!.write(text);
  }

  /** Waits until the terminal output matches (the receiver ends the wait if it exits first). */
  waitFor(pattern: RegExp): Promise<string> {
    return new Promise((resolvePromise, reject) => {
      const check = () => {
        if (pattern.test(this.output)) {
          this.child.stdout!.off('data', onData);
          this.child.off('exit', onExit);
          resolvePromise(this.output);
        }
      };
      const onData = () => setImmediate(check);
      const onExit = () => (pattern.test(this.output) ? check() : reject(new Error(`console closed before ${pattern}; got ${JSON.stringify(this.output)}`)));
      this.child.stdout!.on('data', onData);
      this.child.once('exit', onExit);
      check();
    });
  }

  close(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

export function helperBinary(): string {
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  return resolve(`dist/native/${arch}/tsd-runc-helper`);
}
