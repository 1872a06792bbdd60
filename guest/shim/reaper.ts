/**
 * Exit statuses for the shim's tasks. The shim is a child subreaper, so container inits and exec
 * processes become its children once runc's intermediate processes exit. Node (libuv) only reaps
 * the children it spawned, by pid; a waitpid(-1) here would steal their statuses. So:
 *  - each task pid is watched through a pidfd and reaped with waitid(P_PIDFD): its status is ours;
 *  - other orphans (a container's daemonized grandchildren) are peeked with waitid(P_ALL, WNOWAIT)
 *    and reaped by pid only when they are not libuv's children and not a watched task;
 *  - while the runtime is creating or exec'ing (hold()), orphans are left alone: the new task's
 *    pid is not known yet and it may already have exited.
 * Checks run on SIGCHLD and once a second (signals coalesce).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { becomeSubreaper, closeFd, P_ALL, P_PID, P_PIDFD, pidfdOpen, waitid, WNOWAIT } from './native.js';

export interface Exit {
  pid: number;
  status: number;
  at: Date;
}

interface Watch {
  pidfd: number;
  onExit(exit: Exit): void;
}

export class Reaper {
  private readonly spawned = new Set<number>();
  private readonly watched = new Map<number, Watch>();
  private holds = 0;

  start(): void {
    becomeSubreaper();
    process.on('SIGCHLD', () => this.check());
    setInterval(() => this.check(), 1000);
  }

  /** child_process.spawn, remembering the pid so that orphan reaping never takes libuv's status. */
  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
    const child = spawn(command, args, options);
    const pid = child.pid;
    if (pid !== undefined) {
      this.spawned.add(pid);
      child.once('exit', () => this.spawned.delete(pid));
    }
    return child;
  }

  /** Runs fn with orphan reaping suspended (a task being created must keep its zombie for us). */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    this.holds++;
    try {
      return await fn();
    } finally {
      this.holds--;
    }
  }

  /** Reports pid's exit once; the pid must be (or be about to become) our child. */
  watch(pid: number, onExit: (exit: Exit) => void): void {
    let pidfd: number;
    try {
      pidfd = pidfdOpen(pid);
    } catch {
      // Already gone and reaped: nothing can tell its status any more.
      queueMicrotask(() => onExit({ pid, status: 255, at: new Date() }));
      return;
    }
    this.watched.set(pid, { pidfd, onExit });
    this.check();
  }

  check(): void {
    for (const [pid, watch] of this.watched) this.reapWatched(pid, watch);
    if (this.holds > 0) return;
    for (;;) {
      const zombie = waitid(P_ALL, 0, WNOWAIT);
      if (!zombie || this.spawned.has(zombie.pid)) return; // libuv reaps its own; look again later
      const watch = this.watched.get(zombie.pid);
      if (watch) this.reapWatched(zombie.pid, watch);
      else waitid(P_PID, zombie.pid, 0);
    }
  }

  private reapWatched(pid: number, watch: Watch): void {
    const exit = waitid(P_PIDFD, watch.pidfd, 0);
    if (!exit) return;
    this.watched.delete(pid);
    closeFd(watch.pidfd);
    watch.onExit({ pid, status: exit.status, at: new Date() });
  }
}
