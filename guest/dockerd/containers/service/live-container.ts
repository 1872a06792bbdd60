/**
 * What the engine holds in memory for one container between API calls: the open stdio of its
 * current run, its log writer, and the waiters for its next exit and its removal. Attach and logs
 * subscribe here; the store keeps what must survive a restart.
 */
import { EventEmitter } from 'node:events';
import type { JsonLogWriter } from '../io/json-log.js';
import type { ProcessStdio } from '../io/stdio.js';

export interface ExitInfo {
  exitCode: number;
  error?: string;
}

export class LiveContainer extends EventEmitter {
  stdio: ProcessStdio | undefined;
  log: JsonLogWriter | undefined;
  /** Set while an operation (start, stop, remove) owns the container. */
  busy: string | undefined;
  /** Bumped per run, so a stale exit monitor does not act on a newer run. */
  generation = 0;
  restartTimer: NodeJS.Timeout | undefined;
  /** Set while the engine stops it for its own shutdown (live-restore off): no restart follows. */
  shuttingDown = false;
  /** Health checker of the current run. */
  stopHealth: (() => void) | undefined;
  /**
   * True while this engine knows containerd holds no container or task under this ID: created by
   * this engine process and never started since. Otherwise (a start, or an engine restart, which
   * forgets) remove asks containerd to delete them.
   */
  containerdClean = false;

  constructor(readonly id: string) {
    super();
    this.setMaxListeners(0);
  }

  /** Resolves at the next exit. */
  nextExit(): Promise<ExitInfo> {
    return new Promise((resolve) => this.once('exit', resolve));
  }

  removed(): Promise<void> {
    return new Promise((resolve) => this.once('removed', () => resolve()));
  }
}
