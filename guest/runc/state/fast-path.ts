/**
 * The fast-path file, `<root>/<id>/fast-path`: what the C front end (guest/native/front.c) may
 * do for this container without starting Node. The decision is made here, at create, where the
 * spec is at hand; the front end only checks the container's status and follows it.
 *
 *   tsd-runc-fast-path 1
 *   pid <host pid of the init>
 *   start-time <field 22 of /proc/<pid>/stat at create: a reused pid is not the init>
 *   start fifo      `start` is only "read the exec fifo, remove it" (created with a fifo, no poststart hooks)
 *   delete rmdir    deleting the STOPPED container is only rmdir of the cgroups below, then of the
 *                   state dir (no poststop hooks)
 *   kill init       `kill ID N` (a signal number) of a live init is only kill(2): always written
 *   force kill      `delete --force` of a live container may SIGKILL the init, wait for it, then
 *                   delete as above (with "delete rmdir", and a new pid namespace: the kernel kills
 *                   the rest of the container with its init; without one the runtime kills each)
 *   cgroup <dir>    the container's cgroup directories, one a line
 *
 * A line the front end does not know, another version or a missing file sends it to Node.
 * Changing what a line means needs a new version number (both sides).
 */
import type { ContainerRecord } from './record.js';

export const FAST_PATH_FILE = 'fast-path';
export const FAST_PATH_MAGIC = 'tsd-runc-fast-path 1';

export interface FastPath {
  pid: number;
  pidStartTime: string;
  /** `start` may run in the front end. */
  start: boolean;
  /** `delete` of the stopped container may run in the front end. */
  delete: boolean;
  /** `kill ID N` of a live init may run in the front end. */
  kill: boolean;
  /** `delete --force` of a live one may SIGKILL the init first. */
  forceKill: boolean;
  cgroupDirs: string[];
}

/**
 * What the front end may do, or undefined when the init is unknown (then no file is written). `hasExecFifo`:
 * the container was created by `create` and waits on the exec fifo (not `run -d`).
 */
export function fastPathFor(record: ContainerRecord, hasExecFifo: boolean): FastPath | undefined {
  const hooks = record.spec.hooks;
  const cgroupDirs = Object.values(record.cgroup?.dirs ?? {});
  // The file is line-based: a directory with a newline (a strange cgroupsPath) needs Node.
  const listable = record.cgroup !== undefined && cgroupDirs.every((dir) => dir.startsWith('/') && !dir.includes('\n'));
  const fast: FastPath = {
    pid: record.pid,
    pidStartTime: record.pidStartTime,
    start: hasExecFifo && !record.started && (hooks?.poststart ?? []).length === 0,
    delete: listable && (hooks?.poststop ?? []).length === 0,
    kill: true,
    forceKill: false,
    cgroupDirs: listable ? cgroupDirs : [],
  };
  const namespaces = record.spec.linux?.namespaces ?? [];
  fast.forceKill = fast.delete && namespaces.some((ns) => ns.type === 'pid' && !ns.path);
  if (record.pid <= 0 || !/^\d+$/.test(record.pidStartTime)) return undefined;
  return fast;
}

export function formatFastPath(fast: FastPath): string {
  const lines = [FAST_PATH_MAGIC, `pid ${fast.pid}`, `start-time ${fast.pidStartTime}`];
  if (fast.start) lines.push('start fifo');
  if (fast.delete) lines.push('delete rmdir');
  if (fast.kill) lines.push('kill init');
  if (fast.forceKill) lines.push('force kill');
  for (const dir of fast.cgroupDirs) lines.push(`cgroup ${dir}`);
  return `${lines.join('\n')}\n`;
}
