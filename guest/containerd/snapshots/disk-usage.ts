/** Disk usage of a tree: blocks × 512 and inode count, each inode counted once (hard links). */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Usage } from './snapshotter.js';

export async function diskUsage(root: string): Promise<Usage> {
  const seen = new Set<number>();
  const usage: Usage = { size: 0, inodes: 0 };
  const visit = async (path: string): Promise<void> => {
    const stats = await lstat(path);
    if (!seen.has(stats.ino)) {
      seen.add(stats.ino);
      usage.inodes += 1;
      usage.size += stats.blocks * 512;
    }
    if (stats.isDirectory()) for (const name of await readdir(path)) await visit(join(path, name));
  };
  await visit(root);
  return usage;
}
