/**
 * Compressed rotated logs (`compress=true`), byte-compatible with Docker's: a gzip member whose
 * header carries an extra field holding {"lastTime":"<RFC 3339 nanos>"} — the time of the file's
 * last entry, so a reader with `since` after it can skip the file without inflating it. Node's
 * gzip writer cannot set that field, so the member is framed here around a raw deflate stream.
 * Reading inflates into an unlinked temporary file (the whole file would not fit in memory for
 * large logs; unlinked, it cannot be left behind).
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { createDeflateRaw, createGunzip, crc32 } from 'node:zlib';

const FEXTRA = 0x04;
const OS_UNKNOWN = 0xff;

/** Go's RFC3339Nano: the fraction without trailing zeros (and without the dot when it is zero). */
export function goTime(time: string): string {
  return time.replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/** Compresses `source` into `source.gz` (written beside, renamed into place), then removes `source`. */
export async function compressLogFile(source: string, lastTime: string | undefined): Promise<void> {
  const target = `${source}.gz`;
  const temp = join(dirname(target), `.${randomBytes(6).toString('hex')}.tmp`);
  const extra = Buffer.from(JSON.stringify(lastTime ? { lastTime: goTime(lastTime) } : {}));
  const header = Buffer.alloc(12);
  header.set([0x1f, 0x8b, 8, FEXTRA, 0, 0, 0, 0, 0, OS_UNKNOWN]);
  header.writeUInt16LE(extra.length, 10);
  const out = createWriteStream(temp, { mode: 0o640 });
  try {
    out.write(header);
    out.write(extra);
    let crc = 0;
    let size = 0;
    const input = createReadStream(source);
    input.on('data', (chunk) => {
      crc = crc32(chunk as Buffer, crc);
      size += (chunk as Buffer).length;
    });
    await pipeline(input, createDeflateRaw(), out, { end: false });
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(size % 2 ** 32, 4);
    out.end(trailer);
    await once(out, 'finish');
    const handle = await open(temp, 'r');
    await handle.sync().finally(() => handle.close());
    await rename(temp, target);
  } catch (error) {
    out.destroy();
    await rm(temp, { force: true });
    throw error;
  }
  await unlink(source);
}

/** The lastTime of a compressed log (from its header), or undefined when it has none. */
export async function compressedLastTime(handle: FileHandle): Promise<string | undefined> {
  const head = Buffer.alloc(12);
  const { bytesRead } = await handle.read(head, 0, 12, 0);
  if (bytesRead < 12 || head[0] !== 0x1f || head[1] !== 0x8b || !(head[3]! & FEXTRA)) return undefined;
  const extra = Buffer.alloc(head.readUInt16LE(10));
  await handle.read(extra, 0, extra.length, 12);
  try {
    const parsed = JSON.parse(extra.toString('utf8')) as { lastTime?: unknown };
    return typeof parsed.lastTime === 'string' ? parsed.lastTime : undefined;
  } catch {
    return undefined;
  }
}

/** Inflates an open compressed log into a temporary file that is already unlinked; returns it open. */
export async function inflateToTemp(handle: FileHandle, dir: string): Promise<FileHandle> {
  const path = join(dir, `.${randomBytes(6).toString('hex')}.log.tmp`);
  try {
    // Written through a path-opened stream: a stream on a FileHandle keeps the handle from closing.
    await pipeline(handle.createReadStream({ start: 0, autoClose: false }), createGunzip(), createWriteStream(path, { mode: 0o600 }));
    return await open(path, 'r');
  } finally {
    await rm(path, { force: true });
  }
}
