/**
 * A private home for driving tsd machines through the real CLI, shared by the e2e tests
 * (e2e-machine.ts) and the VM benchmarks (bench/lib/vm-machine.ts); it imports no test framework,
 * so the bench can use it. The home is a temporary directory holding TSD_HOME (`h/`),
 * DOCKER_CONFIG (`docker/`) and the machine file (`machine.yaml`): the user's machines and docker
 * contexts are never touched. Commands run with its environment and never reject (the exit code
 * says); `remove()` kills only the agent and QEMU a machine recorded, while those pids are still
 * the processes it started, then deletes the directory.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOurProcess, type ProcessRecord } from '../../src/machine/process-identity.js';

const ROOT = new URL('../../', import.meta.url).pathname;
/** The project's own CLI, run by this Node. */
export const TSD = join(ROOT, 'bin', 'run.js');
export const DOCKER_CLI = '/usr/local/bin/docker';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall-clock milliseconds from spawn to exit. */
  ms: number;
}

export interface CommandLimits {
  /** One command's limit (a first start builds the image, then boots under tcg on a shared host). */
  timeoutMs: number;
  maxBuffer: number;
}

export class MachineHome {
  /** TSD_HOME and DOCKER_CONFIG inside the home; no engine socket or DOCKER_HOST from outside. */
  readonly env: NodeJS.ProcessEnv;
  readonly machineFile: string;

  private constructor(
    /** The temporary directory. */
    readonly path: string,
    private readonly limits: CommandLimits,
  ) {
    this.env = { ...process.env, TSD_HOME: join(path, 'h'), DOCKER_CONFIG: join(path, 'docker') };
    delete this.env.TSD_ENGINE_SOCKET; // the verbs must go to this home's machine
    delete this.env.DOCKER_HOST;
    this.machineFile = join(path, 'machine.yaml');
  }

  /** A new home `$TMPDIR/tsd-<prefix>-XXXXXX` with `machineYaml` as its machine file. */
  static async create(prefix: string, machineYaml: string, limits: CommandLimits): Promise<MachineHome> {
    const home = new MachineHome(await mkdtemp(join(tmpdir(), `tsd-${prefix}-`)), limits);
    await writeFile(home.machineFile, machineYaml);
    return home;
  }

  /** A machine's directory under TSD_HOME (pid files, serial.log, state.json). */
  machineDir(name: string): string {
    return join(this.path, 'h', 'machines', name);
  }

  run(file: string, args: string[], options: { input?: string } = {}): Promise<CommandResult> {
    const begin = performance.now();
    return new Promise((resolve) => {
      const child = execFile(file, args, { env: this.env, timeout: this.limits.timeoutMs, maxBuffer: this.limits.maxBuffer }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr, ms: performance.now() - begin });
      });
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }

  tsd(...args: string[]): Promise<CommandResult> {
    return this.run(process.execPath, [TSD, ...args]);
  }

  /** The real docker CLI against a machine's docker socket. */
  docker(socket: string, ...args: string[]): Promise<CommandResult> {
    return this.run(DOCKER_CLI, ['-H', `unix://${socket}`, ...args]);
  }

  /** The last `chars` characters of a machine's serial console ('' before it has one). */
  async serialTail(name: string, chars: number): Promise<string> {
    return (await readFile(join(this.machineDir(name), 'serial.log'), 'utf8').catch(() => '')).slice(-chars);
  }

  /** The pids a machine recorded for its host agent and QEMU. */
  recorded(name: string): { agent: ProcessRecord | undefined; qemu: ProcessRecord | undefined } {
    const read = (file: string): ProcessRecord | undefined => {
      try {
        return JSON.parse(readFileSync(join(this.machineDir(name), file), 'utf8')) as ProcessRecord;
      } catch {
        return undefined;
      }
    };
    return { agent: read('agent.pid'), qemu: read('qemu.pid') };
  }

  /**
   * Kills the agent and QEMU of `records` (read before anything that may remove the pid files)
   * that are still the processes the machine started, then deletes the home.
   */
  async remove(name: string, records = this.recorded(name)): Promise<void> {
    for (const record of [records.agent, records.qemu]) {
      if (record === undefined || !isOurProcess(record, this.machineDir(name))) continue;
      try {
        process.kill(record.pid, 'SIGKILL');
      } catch {
        // it exited since the check
      }
    }
    await rm(this.path, { recursive: true, force: true });
  }
}
