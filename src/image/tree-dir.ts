/**
 * Writes an ImageTree out as a directory, for the tools that make a root disk from one
 * (mksquashfs, mkfs.erofs). Modes are set explicitly (the umask plays no part); ownership and
 * times are fixed by those tools' flags, not here. Device nodes are left out: the guest's /dev
 * is a devtmpfs.
 */
import { chmod, copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageTree } from './tree.js';

export async function writeTreeToDirectory(tree: ImageTree, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  // sorted(): each directory comes before its contents
  for (const [name, entry] of tree.sorted()) {
    const path = join(dir, name);
    switch (entry.kind) {
      case 'directory':
        await mkdir(path);
        await chmod(path, entry.mode);
        break;
      case 'file':
        await copyFile(entry.source, path);
        await chmod(path, entry.mode);
        break;
      case 'data':
        await writeFile(path, entry.data);
        await chmod(path, entry.mode);
        break;
      case 'symlink':
        await symlink(entry.target, path);
        break;
      case 'chardev':
        break;
    }
  }
}
