/**
 * The image's file tree before it is written out: guest path → entry. Entries point at files on
 * the host (or carry their bytes), so nothing is copied until the archive is written. Ownership is
 * always root and times are fixed, so the same entries give the same archive.
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';

export type TreeEntry =
  | { kind: 'directory'; mode: number }
  | { kind: 'file'; mode: number; source: string; size: number }
  | { kind: 'data'; mode: number; data: Buffer }
  | { kind: 'symlink'; target: string }
  | { kind: 'chardev'; mode: number; major: number; minor: number };

export class ImageTree {
  private readonly entries = new Map<string, TreeEntry>();

  /** Adds an entry at an absolute guest path; a second, different entry at the same path is an error. */
  add(path: string, entry: TreeEntry): void {
    const normal = normalise(path);
    const existing = this.entries.get(normal);
    if (existing !== undefined && !(existing.kind === 'directory' && entry.kind === 'directory')) {
      throw new TsdError('conflict', `image path ${normal} is provided twice`);
    }
    this.entries.set(normal, entry);
  }

  addData(path: string, data: Buffer | string, mode = 0o644): void {
    this.add(path, { kind: 'data', mode, data: Buffer.from(data) });
  }

  addSymlink(path: string, target: string): void {
    this.add(path, { kind: 'symlink', target });
  }

  /** Adds one host file or symlink (as it is: a symlink stays a symlink). */
  async addHostPath(source: string, path: string, mode?: number): Promise<void> {
    const stat = await lstat(source);
    if (stat.isSymbolicLink()) {
      this.addSymlink(path, await readlink(source));
    } else if (stat.isFile()) {
      this.add(path, { kind: 'file', mode: mode ?? normalMode(stat.mode), source, size: stat.size });
    } else if (stat.isDirectory()) {
      this.add(path, { kind: 'directory', mode: 0o755 });
    } else {
      throw new TsdError('unsupported', `${source}: only files, directories and symlinks go into the image`);
    }
  }

  /** Adds a host directory recursively under a guest path. */
  async addHostDirectory(source: string, path: string): Promise<void> {
    if (path !== '/') this.add(path, { kind: 'directory', mode: 0o755 });
    for (const name of (await readdir(source)).sort()) {
      const child = join(source, name);
      if ((await lstat(child)).isDirectory()) await this.addHostDirectory(child, posix.join(path, name));
      else await this.addHostPath(child, posix.join(path, name));
    }
  }

  /** Bytes of file contents in the tree (files and data entries). */
  contentSize(): number {
    let total = 0;
    for (const entry of this.entries.values()) {
      if (entry.kind === 'file') total += entry.size;
      else if (entry.kind === 'data') total += entry.data.length;
    }
    return total;
  }

  get(path: string): TreeEntry | undefined {
    return this.entries.get(normalise(path));
  }

  /**
   * All entries with their missing parent directories, sorted bytewise by path (so each directory
   * precedes its contents). Paths are returned without the leading slash, as cpio stores them.
   */
  sorted(): Array<[string, TreeEntry]> {
    const all = new Map(this.entries);
    for (const path of this.entries.keys()) {
      for (let dir = posix.dirname(path); dir !== '/'; dir = posix.dirname(dir)) {
        if (!all.has(dir)) all.set(dir, { kind: 'directory', mode: 0o755 });
      }
    }
    return [...all.entries()]
      .map(([path, entry]): [string, TreeEntry] => [path.slice(1), entry])
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }
}

function normalise(path: string): string {
  if (!path.startsWith('/')) throw new TsdError('invalid-argument', `image paths are absolute: ${path}`);
  // cpio-stream sizes names in UTF-16 units, not bytes: a non-ASCII name would corrupt the archive.
  if (!/^[\x20-\x7e]+$/.test(path)) throw new TsdError('unsupported', `image path is not printable ASCII: ${JSON.stringify(path)}`);
  const normal = posix.normalize(path).replace(/\/$/, '');
  if (normal === '' || normal === '/') throw new TsdError('invalid-argument', `the image root is implicit: ${path}`);
  return normal;
}

/** Regular files keep only whether they are executable: 0755 or 0644, whatever the host's umask. */
function normalMode(mode: number): number {
  return mode & 0o111 ? 0o755 : 0o644;
}
