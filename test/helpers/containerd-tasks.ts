/**
 * Small steps the containerd task tests share: pull busybox from the fixture registry, read
 * `ctr task ls`, wait for a task's status (bounded polling, no timing assertion), find a shim.
 */
import { readFileSync } from 'node:fs';
import type { FixtureRegistry } from '../fixtures/fixture-images.js';
import type { ContainerdDaemon } from './containerd-daemon.js';

export async function pulledBusybox(daemon: ContainerdDaemon, registry: FixtureRegistry, namespace?: string): Promise<string> {
  const ref = `${registry.host}/library/busybox:latest`;
  await daemon.ctrOk(['images', 'pull', '--plain-http', ref], namespace ? { namespace } : {});
  return ref;
}

export interface TaskLine {
  id: string;
  pid: number;
  status: string;
}

/** One task's row of `ctr task ls` (TASK PID STATUS), or undefined. */
export function taskLine(listing: string, id: string): TaskLine | undefined {
  for (const row of listing.split('\n')) {
    const [task, pid, status] = row.trim().split(/\s+/);
    if (task === id && pid !== undefined && status !== undefined) return { id, pid: Number(pid), status };
  }
  return undefined;
}

/** Polls `ctr task ls` until the task shows `status` (or is gone, for status undefined). */
export async function waitForTask(daemon: ContainerdDaemon, id: string, status: string | undefined, namespace?: string): Promise<TaskLine> {
  let listing = '';
  for (let attempt = 0; attempt < 200; attempt++) {
    listing = await daemon.ctrOk(['task', 'ls'], namespace ? { namespace } : {});
    const line = taskLine(listing, id);
    if (status === undefined ? line === undefined : line?.status === status) return line ?? { id, pid: 0, status: 'GONE' };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`task ${id} never reached ${status ?? 'deletion'}:\n${listing}`);
}

/** The parent of a task's init process: its shim. */
export function parentPid(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" that ends the command name: state, ppid, ...
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** No such process, or only its zombie is left. */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/**
 * A container id no other test uses at the same time: ctr puts a task in the cgroup
 * /<namespace>/<id>, shared by every daemon on the host, and a forced delete kills the cgroup.
 */
export function uniqueId(base: string): string {
  return `${base}-${process.pid.toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}
