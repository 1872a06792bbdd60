/**
 * The tsd cache: downloads and built images live here, never in the repository.
 * `$TSD_CACHE` overrides `~/.cache/tsd`. Everything under it is written atomically
 * (temp + rename), so concurrent builders and kill -9 leave it consistent.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export function defaultCacheDir(): string {
  return process.env.TSD_CACHE || join(homedir(), '.cache', 'tsd');
}

/** A unique temporary path beside `target`, so that a final rename stays on one filesystem. */
export function tempPathFor(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Produces `target` (file or directory) once: `make` writes into a temporary path which is then
 * renamed into place. If another process won the race, its result is kept and ours removed.
 */
export async function produceOnce(target: string, make: (tmp: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  try {
    await make(tmp);
    await rename(tmp, target).catch(async (error: NodeJS.ErrnoException) => {
      // a directory that another builder renamed into place first
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
