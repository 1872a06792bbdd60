/**
 * Creates one tar entry at an already-resolved path and gives it the entry's metadata:
 * ownership (lchown), mode (after chown, which clears setuid bits), xattrs, and times (lutimes;
 * directories' times are set by the caller once their children are written).
 *
 * The metadata calls are synchronous on purpose: a layer is thousands of small entries, and a
 * thread-pool round trip per call cost more than the call itself (the apply spent most of its
 * CPU in promise and stream machinery). The event loop still turns between entries and between
 * body chunks, which arrive asynchronously from the decompressor. Large file bodies are the
 * exception (writeFile).
 */
import { promisify } from 'node:util';
import { write, chmodSync, closeSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, rmSync, symlinkSync, writeSync, constants } from 'node:fs';
import { TsdError } from '../../api/errors.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, lsetxattr, mknod } from './libc.js';
import type { TarEntry } from './tar-reader.js';

/** Writes the entry; `linkTarget` is the resolved path of a hard link's target. */
export async function writeEntry(path: string, entry: TarEntry, body: AsyncIterable<Buffer>, linkTarget?: string): Promise<void> {
  const existing = lstatOrUndefined(path);
  // A directory stays a directory (its contents may come from lower layers); anything else is replaced.
  if (existing && !(existing.isDirectory() && entry.type === 'directory')) rmSync(path, { recursive: true, force: true });
  switch (entry.type) {
    case 'directory':
      if (!existing?.isDirectory()) mkdirSync(path, { mode: 0o700 });
      break;
    case 'file':
      await writeFile(path, entry.size, body);
      break;
    case 'symlink':
      symlinkSync(entry.linkname, path);
      break;
    case 'hardlink':
      if (!linkTarget) throw new TsdError('internal', `hard link ${entry.path} without a resolved target`);
      linkSync(linkTarget, path);
      return; // shares the target's inode and metadata
    case 'char':
      await mknod(path, S_IFCHR, entry.devmajor, entry.devminor);
      break;
    case 'block':
      await mknod(path, S_IFBLK, entry.devmajor, entry.devminor);
      break;
    case 'fifo':
      await mknod(path, S_IFIFO, 0, 0);
      break;
  }
  lchownSync(path, entry.uid, entry.gid);
  if (entry.type !== 'symlink') chmodSync(path, entry.mode);
  for (const [name, value] of entry.xattrs) {
    await lsetxattr(path, name, value).catch((error: NodeJS.ErrnoException) => {
      // A filesystem without xattr support loses them, as tar and containerd do; other failures are real.
      if (error.code !== 'ENOTSUP' && error.code !== 'EOPNOTSUPP') throw error;
    });
  }
  if (entry.type !== 'directory') lutimesSync(path, entry.atime ?? entry.mtime, entry.mtime);
}

/**
 * O_EXCL|O_NOFOLLOW: refuses anything already there (the path was just cleared) and never follows
 * a link. Small files are written synchronously; the chunks of a large one go through the thread
 * pool, so copying them into the page cache overlaps with decompressing and parsing what follows.
 */
async function writeFile(path: string, size: number, body: AsyncIterable<Buffer>): Promise<void> {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    for await (const chunk of body) {
      if (size <= SYNC_WRITE_LIMIT) {
        for (let written = 0; written < chunk.length; ) written += writeSync(fd, chunk, written);
      } else {
        for (let written = 0; written < chunk.length; ) written += await writeAsync(fd, chunk, written);
      }
    }
  } finally {
    closeSync(fd);
  }
}

const SYNC_WRITE_LIMIT = 256 * 1024;
const writeAsync = promisify((fd: number, buffer: Buffer, offset: number, callback: (error: NodeJS.ErrnoException | null, bytesWritten: number) => void) =>
  write(fd, buffer, offset, buffer.length - offset, null, (error, bytesWritten) => callback(error, bytesWritten)));

function lstatOrUndefined(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
