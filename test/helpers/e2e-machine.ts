/**
 * A machine for e2e tests through the real `tsd` CLI: a temporary TSD_HOME (and DOCKER_CONFIG)
 * so that nothing touches the user's machines, the machine file written there, helpers that run
 * `tsd` and the real docker CLI against the machine's socket, the tail of the serial log for
 * failure messages, and a cleanup that kills only the agent and QEMU this test started (by the
 * pids the machine recorded) before removing the temporary home.
 */
import { randomBytes } from 'node:crypto';
import { MachineHome, TSD, type CommandResult } from './machine-home.js';

export { TSD };
/** One command's limit: the first start builds the image, then boots under tcg on a shared host. */
const LIMITS = { timeoutMs: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 };

export type Run = CommandResult;

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
    /** The temporary home holding TSD_HOME, DOCKER_CONFIG and machine.yaml. */
    private readonly home: MachineHome,
  ) {
    this.env = home.env;
    this.dir = home.machineDir(name);
    this.machineFile = home.machineFile;
  }

  /** A temporary home with `machineYaml` written as its machine file (not created yet). */
  static async prepare(prefix: string, machineYaml: string, options: { name?: string } = {}): Promise<E2eMachine> {
    const home = await MachineHome.create(prefix, machineYaml, LIMITS);
    // `name` (e.g. "default", which the docker verbs start by themselves) is safe: TSD_HOME is private.
    return new E2eMachine(options.name ?? `${prefix}-${randomBytes(3).toString('hex')}`, home);
  }

  /** Runs a program with the machine's environment; never rejects (the exit code says). */
  run(file: string, args: string[], options: { input?: string } = {}): Promise<Run> {
    return this.home.run(file, args, options);
  }

  tsd(...args: string[]): Promise<Run> {
    return this.home.tsd(...args);
  }

  /** The real docker CLI against the machine's socket (call status() first). */
  docker(...args: string[]): Promise<Run> {
    if (this.dockerSocket === '') throw new Error('E2eMachine.docker before status(): the socket is not known yet');
    return this.home.docker(this.dockerSocket, ...args);
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
  serial(): Promise<string> {
    return this.home.serialTail(this.name, 4000);
  }

  /** A failure message: what ran, its stderr, and the serial log's tail. */
  async explain(what: string, result: Run): Promise<string> {
    return `${what} (exit ${result.code}): ${result.stderr}${result.stdout}\n--- serial.log ---\n${await this.serial()}`;
  }

  /** Kills the agent and QEMU this machine recorded (if still theirs) and removes the home. */
  cleanup(): Promise<void> {
    return this.home.remove(this.name);
  }
}
