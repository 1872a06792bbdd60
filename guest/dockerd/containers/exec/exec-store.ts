/**
 * Exec instances (`docker exec`): created with a config, started once, inspected until their
 * container is removed. In memory only, like Docker's.
 */
import { TsdError } from '../../../api/errors.js';
import type { ProcessStdio } from '../io/stdio.js';

export interface ExecConfig {
  User: string;
  Privileged: boolean;
  Tty: boolean;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Env: string[] | null;
  Cmd: string[];
  WorkingDir: string;
  DetachKeys: string;
  ConsoleSize?: [number, number] | null;
}

export interface ExecInstance {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  stdio?: ProcessStdio;
}

export class ExecStore {
  readonly #execs = new Map<string, ExecInstance>();

  add(exec: ExecInstance): void {
    this.#execs.set(exec.id, exec);
  }

  get(id: string): ExecInstance {
    const exec = this.#execs.get(id);
    if (!exec) throw new TsdError('not-found', `No such exec instance: ${id}`);
    return exec;
  }

  ofContainer(containerId: string): string[] {
    return [...this.#execs.values()].filter((e) => e.containerId === containerId).map((e) => e.id);
  }

  forgetContainer(containerId: string): void {
    for (const [id, exec] of this.#execs) if (exec.containerId === containerId) this.#execs.delete(id);
  }
}

export function inspectExec(exec: ExecInstance): Record<string, unknown> {
  const [entrypoint = '', ...args] = exec.config.Cmd;
  return {
    ID: exec.id,
    Running: exec.running,
    ExitCode: exec.exitCode,
    ProcessConfig: { tty: exec.config.Tty, entrypoint, arguments: args, privileged: exec.config.Privileged, user: exec.config.User || undefined },
    OpenStdin: exec.config.AttachStdin,
    OpenStderr: exec.config.AttachStderr,
    OpenStdout: exec.config.AttachStdout,
    CanRemove: false,
    ContainerID: exec.containerId,
    DetachKeys: exec.config.DetachKeys,
    Pid: exec.pid,
  };
}
