/**
 * The files of a rotated json-file log, named as Docker names them: `<id>-json.log` (current),
 * `<id>-json.log.1` (newest rotated) … `.<max-file − 1>`, with `.gz` after the number when
 * compressed. Rotation shifts each rotated file one number up (dropping the oldest) and renames
 * the current file to `.1`; with max-file 1 the current file is replaced by an empty one.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { compressedLastTime, inflateToTemp } from './log-gzip.js';

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

async function ignoreMissing(action: Promise<unknown>): Promise<void> {
  await action.catch((error: unknown) => {
    if (!isMissing(error)) throw error;
  });
}

/** Moves the current file out of the way (to `.1`, or away with max-file 1); the caller creates the next. */
export async function rotateLogFiles(path: string, maxFiles: number, compress: boolean): Promise<void> {
  if (maxFiles < 2) {
    // Readers following the file keep their descriptor on the old one.
    await ignoreMissing(unlink(path));
    return;
  }
  const ext = compress ? '.gz' : '';
  await ignoreMissing(unlink(`${path}.${maxFiles - 1}${ext}`));
  for (let i = maxFiles - 1; i > 1; i--) await ignoreMissing(rename(`${path}.${i - 1}${ext}`, `${path}.${i}${ext}`));
  await ignoreMissing(rename(path, `${path}.1`));
}

/**
 * Opens the rotated files `.count` … `.1` that exist, oldest first (not the current one). Called
 * where no rotation can run in between (see JsonLogWriter.exclusive); the compressed ones are
 * returned still compressed and inflated by `inflateRotated` outside that section.
 */
export async function openRotatedFiles(path: string, count: number): Promise<Array<{ handle: FileHandle; compressed: boolean }>> {
  const files: Array<{ handle: FileHandle; compressed: boolean }> = [];
  try {
    for (let i = count; i >= 1; i--) {
      // An uncompressed `.N` is read first: it is the complete copy while its compression runs.
      for (const [name, compressed] of [[`${path}.${i}`, false], [`${path}.${i}.gz`, true]] as const) {
        const handle = await open(name, 'r').catch((error: unknown) => {
          if (isMissing(error)) return undefined;
          throw error;
        });
        if (handle) {
          files.push({ handle, compressed });
          break;
        }
      }
    }
  } catch (error) {
    for (const file of files) await file.handle.close();
    throw error;
  }
  return files;
}

/**
 * Turns the opened rotated files into readable ones: compressed files are inflated to temporary
 * files, or dropped when their last entry is before `sinceNs` (Docker's shortcut).
 */
export async function inflateRotated(path: string, files: Array<{ handle: FileHandle; compressed: boolean }>, sinceNs: bigint): Promise<FileHandle[]> {
  const result: FileHandle[] = [];
  try {
    for (const file of files) {
      if (!file.compressed) {
        result.push(file.handle);
        continue;
      }
      try {
        const last = await compressedLastTime(file.handle);
        if (sinceNs > 0n && last !== undefined && timeNanos(last) < sinceNs) continue;
        result.push(await inflateToTemp(file.handle, dirname(path)));
      } finally {
        await file.handle.close();
      }
    }
  } catch (error) {
    for (const handle of result) await handle.close();
    throw error;
  }
  return result;
}

/** RFC 3339 with up to nanoseconds → nanoseconds since the epoch. */
export function timeNanos(time: string): bigint {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!match) return 0n;
  const seconds = BigInt(Date.parse(`${match[1]}${match[3]}`)) / 1000n;
  return seconds * 1_000_000_000n + BigInt((match[2] ?? '').slice(0, 9).padEnd(9, '0'));
}
