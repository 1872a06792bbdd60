/**
 * Reading and writing cgroup control files. Every failure names the file and the value, since
 * "write error" alone is useless when a limit is refused.
 *
 * The calls are synchronous behind async signatures: cgroupfs answers from memory, and the
 * runtime is on the container's start path, where each libuv thread-pool round trip (and
 * starting the pool's threads at all) costs more than the write itself.
 */
import { closeSync, constants, openSync, readdirSync, readFileSync, rmdirSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TsdError } from '../../api/errors.js';

/** One planned write: `file` in controller directory `dir` (a key of the manager's dirs). */
export interface CgroupWrite {
  dir: string;
  file: string;
  value: string;
  /** Skip silently when the file does not exist (kernel without that feature). */
  ifExists?: boolean;
  /** Ignore a failure with this errno (a later write in the plan repeats this one). */
  tolerate?: 'EINVAL';
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export async function writeCgroupFile(dir: string, file: string, value: string): Promise<void> {
  const path = join(dir, file);
  try {
    // Cgroup files take one value per write(2): exactly one write. No O_CREAT: a missing
    // control file must fail with ENOENT, not EACCES from kernfs.
    const fd = openSync(path, constants.O_WRONLY | constants.O_TRUNC);
    try {
      writeSync(fd, value);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const code = errno(error);
    const hint = code === 'ENOENT' ? ' (file missing: controller not enabled or not supported by this kernel)' : '';
    throw new TsdError(
      code === 'ENOENT' ? 'unsupported' : 'invalid-argument',
      `cgroup: failed to write ${JSON.stringify(value)} to ${path}: ${code ?? String(error)}${hint}`,
      { cause: error },
    );
  }
}

export async function applyWrites(dirs: Readonly<Record<string, string>>, writes: readonly CgroupWrite[]): Promise<void> {
  for (const w of writes) {
    const dir = dirs[w.dir];
    if (dir === undefined) {
      throw new TsdError('unsupported', `cgroup: the ${w.dir} controller is not mounted, cannot write ${w.file}=${JSON.stringify(w.value)}`);
    }
    if (w.ifExists && !(await exists(join(dir, w.file)))) continue;
    try {
      await writeCgroupFile(dir, w.file, w.value);
    } catch (error) {
      if (w.tolerate === undefined || errno((error as Error).cause) !== w.tolerate) throw error;
    }
  }
}

export async function readCgroupFile(dir: string, file: string): Promise<string> {
  const path = join(dir, file);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new TsdError(errno(error) === 'ENOENT' ? 'not-found' : 'internal', `cgroup: failed to read ${path}: ${errno(error) ?? String(error)}`, { cause: error });
  }
}

/** The file's content, or undefined when it does not exist. */
export async function readOptional(dir: string, file: string): Promise<string | undefined> {
  try {
    return readFileSync(join(dir, file), 'utf8').trim();
  } catch (error) {
    if (errno(error) === 'ENOENT') return undefined;
    throw new TsdError('internal', `cgroup: failed to read ${join(dir, file)}: ${errno(error) ?? String(error)}`, { cause: error });
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Pids of `dir` and every descendant cgroup. */
export async function pidsRecursive(dir: string): Promise<number[]> {
  const own = await readOptional(dir, 'cgroup.procs');
  if (own === undefined) return [];
  const pids = own === '' ? [] : own.split('\n').map(Number);
  for (const child of await subdirs(dir)) pids.push(...(await pidsRecursive(join(dir, child))));
  return pids;
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (error) {
    if (errno(error) === 'ENOENT') return [];
    throw error;
  }
}

const RMDIR_ATTEMPTS = 50;

/**
 * Removes a cgroup directory and its descendants (deepest first). A cgroup whose last task
 * just exited can still be busy for a moment: EBUSY is retried for about a second.
 */
export async function removeCgroup(dir: string): Promise<void> {
  for (const child of await subdirs(dir)) await removeCgroup(join(dir, child));
  for (let attempt = 1; ; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch (error) {
      const code = errno(error);
      if (code === 'ENOENT') return;
      if (code === 'EBUSY' && attempt < RMDIR_ATTEMPTS) {
        await sleep(Math.min(5 * attempt, 40));
        continue;
      }
      const left = await readOptional(dir, 'cgroup.procs').catch(() => undefined);
      const detail = left ? ` (processes still inside: ${left.split('\n').join(', ')})` : '';
      throw new TsdError('conflict', `cgroup: failed to remove ${dir}: ${code ?? String(error)}${detail}`, { cause: error });
    }
  }
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    if (await check()) return;
    if (Date.now() > deadline) throw new TsdError('unavailable', `cgroup: timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(delay);
  }
}

/** Parses "key value" lines (memory.stat, cpu.stat, memory.events...). */
export function parseKeyValues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) out[key] = Number(value);
  }
  return out;
}
