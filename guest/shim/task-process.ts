/**
 * One process of a task — the init (exec id "") or an exec — and its explicit state:
 * created → running ⇄ paused → stopped (exit status and time recorded) → deleted (removed from
 * its container). Wait() resolves once it is stopped.
 */
import type { ProcessIo, StdioPaths } from './process-io.js';

export type ProcessState =
  | { status: 'created' }
  | { status: 'running' }
  | { status: 'paused' }
  | { status: 'stopped'; exitStatus: number; exitedAt: Date };

/** containerd.v1.types.Status names. */
export type WireStatus = 'CREATED' | 'RUNNING' | 'PAUSED' | 'STOPPED';

export interface ExitRecord {
  exitStatus: number;
  exitedAt: Date;
}

export class TaskProcess {
  pid = 0;
  state: ProcessState = { status: 'created' };
  io: ProcessIo | undefined;
  /** Settles when Start has published its event: an exit is reported only after it. */
  started: Promise<void> = Promise.resolve();
  private readonly exited: Promise<ExitRecord>;
  private resolveExit!: (exit: ExitRecord) => void;

  constructor(
    readonly containerId: string,
    readonly execId: string,
    readonly stdio: StdioPaths,
    /** The exec's OCI process (JSON), for execs. */
    readonly spec?: string,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  get isInit(): boolean {
    return this.execId === '';
  }

  get wireStatus(): WireStatus {
    return this.state.status.toUpperCase() as WireStatus;
  }

  get exit(): ExitRecord | undefined {
    return this.state.status === 'stopped' ? { exitStatus: this.state.exitStatus, exitedAt: this.state.exitedAt } : undefined;
  }

  setExited(exitStatus: number, exitedAt: Date): void {
    if (this.state.status === 'stopped') return;
    this.state = { status: 'stopped', exitStatus, exitedAt };
    this.resolveExit({ exitStatus, exitedAt });
  }

  wait(): Promise<ExitRecord> {
    return this.exited;
  }
}
