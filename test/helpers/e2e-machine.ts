/**
 * A machine for e2e tests through the real `tsd` CLI: a temporary TSD_HOME (and DOCKER_CONFIG)
 * so that nothing touches the user's machines, the machine file written there, helpers that run
 * `tsd` and the real docker CLI against the machine's socket, the tail of the serial log for
 * failure messages, and a cleanup that kills only the agent and QEMU this test started (by the
 * pids the machine recorded) before removing the temporary home.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
export const TSD = join(ROOT, 'bin', 'run.js');
export const DOCKER = '/usr/local/bin/docker';
/** One command's limit: the first start builds the image, then boots under tcg on a shared host. */
const COMMAND_TIMEOUT_MS = 15 * 60_000;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface E2eMachineStatus {
  name: string;
  state: string;
  arch: string;
  accel: string;
  dockerSocket: string;
}

export class E2eMachine {
  /** TSD_HOME and DOCKER_CONFIG inside the temporary home. */
  readonly env: NodeJS.ProcessEnv;
  /** The machine's directory under TSD_HOME (pid files, serial.log). */
  readonly dir: string;
  readonly machineFile: string;
  /** Set by status(): the machine's docker socket. */
  dockerSocket = '';

  private constructor(
    /** Machine name, unique per run (prefix + random hex). */
    readonly name: string,
    /** The temporary directory holding TSD_HOME, DOCKER_CONFIG and machine.yaml. */
    readonly home: string,
  ) {
    this.env = { ...process.env, TSD_HOME: join(home, 'h'), DOCKER_CONFIG: join(home, 'docker') };
    this.dir = join(home, 'h', 'machines', name);
    this.machineFile = join(home, 'machine.yaml');
  }

  /** A temporary home with `machineYaml` written as its machine file (not created yet). */
  static async prepare(prefix: string, machineYaml: string, options: { name?: string } = {}): Promise<E2eMachine> {
    const home = await mkdtemp(join(tmpdir(), `tsd-${prefix}-`));
    // `name` (e.g. "default", which the docker verbs start by themselves) is safe: TSD_HOME is private.
    const machine = new E2eMachine(options.name ?? `${prefix}-${randomBytes(3).toString('hex')}`, home);
    await writeFile(machine.machineFile, machineYaml);
    return machine;
  }

  /** Runs a program with the machine's environment; never rejects (the exit code says). */
  run(file: string, args: string[], options: { input?: string } = {}): Promise<Run> {
    return new Promise((resolve) => {
      const child = execFile(file, args, { env: this.env, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
      });
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }

  tsd(...args: string[]): Promise<Run> {
    return this.run(process.execPath, [TSD, ...args]);
  }

  /** The real docker CLI against the machine's socket (call status() first). */
  docker(...args: string[]): Promise<Run> {
    if (this.dockerSocket === '') throw new Error('E2eMachine.docker before status(): the socket is not known yet');
    return this.run(DOCKER, ['-H', `unix://${this.dockerSocket}`, ...args]);
  }

  /** `tsd machine status --json`; remembers the docker socket. */
  async status(): Promise<E2eMachineStatus> {
    const result = await this.tsd('machine', 'status', this.name, '--json');
    if (result.code !== 0) throw new Error(`tsd machine status: ${result.stderr}`);
    const status = JSON.parse(result.stdout) as E2eMachineStatus;
    this.dockerSocket = status.dockerSocket;
    return status;
  }

  /** The last 4000 characters of the guest's serial console. */
  async serial(): Promise<string> {
    return (await readFile(join(this.dir, 'serial.log'), 'utf8').catch(() => '')).slice(-4000);
  }

  /** A failure message: what ran, its stderr, and the serial log's tail. */
  async explain(what: string, result: Run): Promise<string> {
    return `${what} (exit ${result.code}): ${result.stderr}${result.stdout}\n--- serial.log ---\n${await this.serial()}`;
  }

  /** Kills the agent and QEMU this machine recorded (if still there) and removes the home. */
  async cleanup(): Promise<void> {
    for (const pid of [this.recordedPid('agent.pid'), this.recordedPid('qemu.pid')]) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(this.home, { recursive: true, force: true });
  }

  private recordedPid(file: string): number | undefined {
    try {
      return (JSON.parse(readFileSync(join(this.dir, file), 'utf8')) as { pid: number }).pid;
    } catch {
      return undefined;
    }
  }
}
