/**
 * Creates one tar entry at an already-resolved path and gives it the entry's metadata:
 * ownership (lchown), mode (after chown, which clears setuid bits), xattrs, and times (lutimes;
 * directories' times are set by the caller once their children are written).
 */
import { createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, rm, symlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { TsdError } from '../../api/errors.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, lsetxattr, mknod } from './libc.js';
import type { TarEntry } from './tar-reader.js';

/** Writes the entry; `linkTarget` is the resolved path of a hard link's target. */
export async function writeEntry(path: string, entry: TarEntry, body: AsyncIterable<Buffer>, linkTarget?: string): Promise<void> {
  const existing = await lstat(path).catch(() => undefined);
  // A directory stays a directory (its contents may come from lower layers); anything else is replaced.
  if (existing && !(existing.isDirectory() && entry.type === 'directory')) await rm(path, { recursive: true, force: true });
  switch (entry.type) {
    case 'directory':
      if (!existing?.isDirectory()) await mkdir(path, { mode: 0o700 });
      break;
    case 'file':
      // 'wx' refuses to follow anything already there: the path was just cleared.
      await pipeline(Readable.from(body), createWriteStream(path, { flags: 'wx', mode: 0o600 }));
      break;
    case 'symlink':
      await symlink(entry.linkname, path);
      break;
    case 'hardlink':
      if (!linkTarget) throw new TsdError('internal', `hard link ${entry.path} without a resolved target`);
      await link(linkTarget, path);
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
  await lchown(path, entry.uid, entry.gid);
  if (entry.type !== 'symlink') await chmod(path, entry.mode);
  for (const [name, value] of entry.xattrs) {
    await lsetxattr(path, name, value).catch((error: NodeJS.ErrnoException) => {
      // A filesystem without xattr support loses them, as tar and containerd do; other failures are real.
      if (error.code !== 'ENOTSUP' && error.code !== 'EOPNOTSUPP') throw error;
    });
  }
  if (entry.type !== 'directory') await lutimes(path, entry.atime ?? entry.mtime, entry.mtime);
}
