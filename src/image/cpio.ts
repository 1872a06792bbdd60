/**
 * Writes an ImageTree as a newc cpio archive (the initramfs format) with cpio-stream,
 * deterministically: entries in the tree's sorted order, inode numbers in that order,
 * uid/gid 0, every mtime the same fixed instant.
 */
import { pack, type CpioHeader } from 'cpio-stream';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageTree, TreeEntry } from './tree.js';

/** The mtime of every entry (cpio-stream would put "now" in place of a zero). */
export const FIXED_MTIME = new Date(1_000_000_000_000);

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

/** The header cpio-stream writes for one entry (exported for the ordering tests). */
export function cpioHeader(name: string, entry: TreeEntry, ino: number): CpioHeader {
  const base = { name, uid: 0, gid: 0, mtime: FIXED_MTIME, ino, nlink: 1, dev: 1, devmajor: 0, devminor: 1 };
  switch (entry.kind) {
    case 'directory':
      return { ...base, mode: S_IFDIR | entry.mode, nlink: 2, size: 0 };
    case 'symlink':
      return { ...base, mode: S_IFLNK | 0o777, linkname: entry.target };
    case 'file':
      return { ...base, mode: S_IFREG | entry.mode, size: entry.size };
    case 'data':
      return { ...base, mode: S_IFREG | entry.mode, size: entry.data.length };
    case 'chardev':
      return { ...base, mode: S_IFCHR | entry.mode, size: 0, rdevmajor: entry.major, rdevminor: entry.minor };
  }
}

/** Streams the archive; the caller pipes it to a compressor or a file. */
export function cpioStream(tree: ImageTree): Readable {
  const archive = pack({ format: 'newc' });
  const entries = tree.sorted();
  void (async () => {
    let ino = 1;
    for (const [name, entry] of entries) {
      const header = cpioHeader(name, entry, ino++);
      await new Promise<void>((resolve, reject) => {
        const done = (error?: Error): void => (error ? reject(error) : resolve());
        if (entry.kind === 'file') {
          const sink = archive.entry(header, done);
          pipeline(createReadStream(entry.source), sink).catch(reject);
        } else if (entry.kind === 'data') {
          archive.entry(header, entry.data, done);
        } else {
          archive.entry(header, done);
        }
      });
    }
    archive.finalize();
  })().catch((error: Error) => archive.destroy(error));
  return archive;
}
