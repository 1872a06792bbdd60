/**
 * Is this pid still the process we started? A pid file alone proves nothing after a crash or a
 * reboot: the pid may be free, or reused by an unrelated process. We record a start-time token
 * and a marker that must appear in the command line (the machine directory), and trust a pid only
 * when it is alive and both still match.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface ProcessRecord {
  pid: number;
  /** Opaque start-time token (Linux: starttime from /proc/<pid>/stat; macOS: ps lstart). */
  startToken: string;
}

interface ProcessFacts {
  startToken: string;
  args: string[];
}

function linuxFacts(pid: number): ProcessFacts | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startToken = fields[19] ?? ''; // field 22 overall: starttime in clock ticks since boot
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return { startToken: `${bootId}:${startToken}`, args };
  } catch {
    return undefined;
  }
}

function psFacts(pid: number): ProcessFacts | undefined {
  try {
    const lstart = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    const command = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return lstart === '' ? undefined : { startToken: lstart, args: command.split(' ') };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function facts(pid: number): ProcessFacts | undefined {
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  if (process.platform === 'linux') return linuxFacts(pid);
  if (process.platform === 'win32') return { startToken: '', args: [] }; // liveness only
  return psFacts(pid);
}

/** The record to store for a process we just started (or for ourselves). */
export function recordProcess(pid: number): ProcessRecord {
  const found = facts(pid);
  return { pid, startToken: found?.startToken ?? '' };
}

/** True only when the pid is alive, started at the recorded time, and an argument names the marker path (or a file in it). */
export function isOurProcess(record: ProcessRecord, marker: string): boolean {
  const found = facts(record.pid);
  if (found === undefined) return false;
  if (process.platform === 'win32') return true;
  const mentions = (arg: string): boolean => arg === marker || arg.includes(`${marker}/`) || arg.includes(`${marker}\\`);
  return found.startToken === record.startToken && found.args.some(mentions);
}

export function isProcessRecord(value: unknown): value is ProcessRecord {
  const record = value as ProcessRecord | undefined;
  return typeof record === 'object' && record !== null && Number.isInteger(record.pid) && typeof record.startToken === 'string';
}
