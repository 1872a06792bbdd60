/**
 * Crash-safe file updates: write a temporary file beside the target, fsync it, rename it over
 * the target, fsync the directory. After kill -9 (or power loss) the target is the old or the
 * new content, never a mix; leftover temporaries are named `*.tmp-*` and safe to delete.
 */
import { open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export const TEMP_MARKER = '.tmp-';

export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`);
}

export async function writeFileAtomic(target: string, data: string | Buffer): Promise<void> {
  const temp = tempPathFor(target);
  const handle = await open(temp, 'w', 0o644);
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

/** Makes a rename or unlink in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
