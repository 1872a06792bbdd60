/**
 * OOM kills of a task's cgroup, for TaskOOM events: the kernel's oom_kill counter
 * (cgroup v1 memory.oom_control, cgroup v2 memory.events), located from the init's
 * /proc/PID/cgroup and read when asked (the service polls running tasks, and checks once more at
 * the init's exit, before publishing it). A read is one small file; no watch per task is kept.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export class OomWatch {
  private last: number;

  private constructor(private readonly file: string) {
    this.last = readCounter(file) ?? 0;
  }

  /** undefined when the task's memory cgroup cannot be found (then no OOM events). */
  static forPid(pid: number): OomWatch | undefined {
    const file = counterFile(pid);
    return file ? new OomWatch(file) : undefined;
  }

  /** True once per increase of the counter. */
  killedSinceLastCheck(): boolean {
    const value = readCounter(this.file);
    if (value === undefined || value <= this.last) return false;
    this.last = value;
    return true;
  }
}

function counterFile(pid: number): string | undefined {
  let lines: string[];
  try {
    lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  } catch {
    return undefined;
  }
  for (const line of lines) {
    const [, controllers, path] = line.split(':', 3) as [string, string, string];
    if (controllers.split(',').includes('memory')) return join('/sys/fs/cgroup/memory', path, 'memory.oom_control');
  }
  const unified = lines.find((line) => line.startsWith('0::'));
  const mount = cgroup2Mount();
  return unified && mount ? join(mount, unified.slice(3), 'memory.events') : undefined;
}

function cgroup2Mount(): string | undefined {
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const line = mountinfo.find((entry) => entry.split(' - ')[1]?.startsWith('cgroup2 '));
  return line?.split(' ')[4];
}

function readCounter(file: string): number | undefined {
  try {
    const match = /^oom_kill (\d+)$/m.exec(readFileSync(file, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
