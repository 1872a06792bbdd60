/**
 * Crash-safe file updates: write a temporary file beside the target, fsync it, rename it over
 * the target, fsync the directory. After kill -9 (or power loss) the target is the old or the
 * new content, never a mix; leftover temporaries are named `*.tmp-*` and safe to delete.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const TEMP_MARKER = '.tmp-';

let tempCounter = 0;

/**
 * A temporary name beside `target`, unique among live processes (pid) and within this one
 * (counter). No crypto import: tsd-runc loads this module on every verb.
 */
export function tempPathFor(target: string): string {
  tempCounter += 1;
  return join(dirname(target), `.${basename(target)}${TEMP_MARKER}${process.pid}-${Date.now().toString(36)}-${tempCounter}`);
}

export async function writeFileAtomic(target: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const temp = tempPathFor(target);
  const handle = await open(temp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dirname(target));
}

/**
 * The same, synchronously, for short-lived processes whose every step is sequential anyway
 * (tsd-runc runs once per verb; an event loop round trip per write only costs time there).
 */
export function writeFileAtomicSync(target: string, data: string | Buffer, mode = 0o644): void {
  const temp = tempPathFor(target);
  const fd = openSync(temp, 'w', mode);
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** Makes a rename or unlink in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
