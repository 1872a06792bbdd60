/**
 * A machine for benchmarks in the VM, driven through the project's own `tsd` CLI: TSD_HOME and
 * DOCKER_CONFIG live in a temporary home (test/helpers/machine-home.ts, shared with the e2e tests;
 * the user's machines and docker contexts are never touched) and the machine is named "default" there, so `tsd run` finds and uses it exactly as a
 * user's would. Every command is timed. cleanup() deletes the machine, then kills only the agent
 * and QEMU that this machine recorded in its pid files (should delete have left them), and removes
 * the temporary directory.
 */
import { spawn } from 'node:child_process';
import { DOCKER_CLI, MachineHome, TSD, type CommandResult } from '../../test/helpers/machine-home.js';

/** One command's limit: a cold pull under tcg on a loaded shared host took nearly 10 minutes. */
const LIMITS = { timeoutMs: 25 * 60_000, maxBuffer: 64 * 1024 * 1024 };

export type Timed = CommandResult;

export interface BenchMachineStatus {
  accel: string;
  arch: string;
  cpus: number;
  memory: number;
  dockerSocket: string;
}

export class BenchMachine {
  readonly name = 'default';
  readonly env: NodeJS.ProcessEnv;
  /** The machine's directory (pid files, serial.log, state.json). */
  readonly dir: string;
  status: BenchMachineStatus | undefined;

  private constructor(private readonly home: MachineHome) {
    this.env = home.env;
    this.dir = home.machineDir(this.name);
  }

  /** Creates (does not start) the machine from `machineYaml` in a new temporary home. */
  static async create(machineYaml: string): Promise<BenchMachine> {
    const machine = new BenchMachine(await MachineHome.create('bench-vm', machineYaml, LIMITS));
    await machine.tsd('machine', 'create', machine.name, '-f', machine.home.machineFile);
    return machine;
  }

  /** Runs a program with the machine's environment; never rejects (see `code`). */
  run(file: string, args: string[]): Promise<Timed> {
    return this.home.run(file, args);
  }

  /**
   * Like run(), and calls `onLine` with each stderr line as it arrives and the milliseconds since
   * spawn (for progress output such as a pull's).
   */
  runLines(file: string, args: string[], onLine: (line: string, ms: number) => void): Promise<Timed> {
    const begin = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: LIMITS.timeoutMs });
      let stdout = '';
      let stderr = '';
      let partial = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const lines = (partial + chunk).split(/\r?\n|\r/);
        partial = lines.pop() ?? '';
        for (const line of lines) onLine(line, performance.now() - begin);
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - begin }));
    });
  }

  /** Like run(), but a non-zero exit throws with the output and the serial console's tail. */
  async ok(file: string, args: string[], onLine?: (line: string, ms: number) => void): Promise<Timed> {
    const result = onLine === undefined ? await this.run(file, args) : await this.runLines(file, args, onLine);
    if (result.code !== 0) {
      const serial = await this.home.serialTail(this.name, 3000);
      throw new Error(`${[file, ...args].join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}\n--- serial.log ---\n${serial}`);
    }
    return result;
  }

  tsd(...args: string[]): Promise<Timed> {
    return this.ok(process.execPath, [TSD, ...args]);
  }

  /** tsd with its stderr lines timed as they arrive. */
  tsdLines(onLine: (line: string, ms: number) => void, ...args: string[]): Promise<Timed> {
    return this.ok(process.execPath, [TSD, ...args], onLine);
  }

  /** The real docker CLI with DOCKER_HOST from `tsd machine status --json` (start() first). */
  docker(...args: string[]): Promise<Timed> {
    if (this.status === undefined) throw new Error('BenchMachine.docker before start()');
    return this.ok(DOCKER_CLI, ['-H', `unix://${this.status.dockerSocket}`, ...args]);
  }

  /** A shell line in the guest (`tsd machine ssh -- LINE`); its stdout. */
  async ssh(line: string): Promise<string> {
    return (await this.tsd('machine', 'ssh', this.name, '--', line)).stdout;
  }

  /**
   * Starts the machine. The image is built (or found current) first and not timed: on a shared
   * tree the guest bundles may have been rebuilt since the last run.
   */
  async start(): Promise<Timed> {
    await this.tsd('image', 'build');
    const started = await this.tsd('machine', 'start', this.name);
    this.status = JSON.parse((await this.tsd('machine', 'status', this.name, '--json')).stdout) as BenchMachineStatus;
    return started;
  }

  /** The host agent's and QEMU's pids, as the machine recorded them. */
  pids(): { agent: number | undefined; qemu: number | undefined } {
    const { agent, qemu } = this.home.recorded(this.name);
    return { agent: agent?.pid, qemu: qemu?.pid };
  }

  /** Deletes the machine; kills its agent and QEMU only if delete left them; removes the home. */
  async cleanup(): Promise<void> {
    const records = this.home.recorded(this.name);
    await this.run(process.execPath, [TSD, 'machine', 'delete', this.name, '--force']);
    await this.home.remove(this.name, records);
  }
}
