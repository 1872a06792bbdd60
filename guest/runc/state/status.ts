/** Is the container's process still the one we started? (/proc, with the start time against pid reuse.) */
import { readFileSync } from 'node:fs';
import type { ContainerRecord } from './record.js';

/** Field 22 (starttime) of /proc/<pid>/stat, or undefined when the process is gone or a zombie. */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

export function isAlive(record: ContainerRecord): boolean {
  return record.pid > 0 && processStartTime(record.pid) === record.pidStartTime;
}
