/**
 * The native (copy) snapshotter, for kernels without overlayfs: every snapshot's `fs` is a full
 * copy of its parent, described as a bind mount (read-only for views).
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../../api/errors.js';
import { DirectorySnapshotter } from '../directory-snapshotter.js';
import type { SnapshotRecord } from '../snapshot-table.js';
import type { Mount } from '../snapshotter.js';

export class NativeSnapshotter extends DirectorySnapshotter {
  static async open(root: string): Promise<NativeSnapshotter> {
    return new NativeSnapshotter('native', root, await DirectorySnapshotter.openTable(root));
  }

  protected async populate(dir: string, _kind: unknown, parents: SnapshotRecord[]): Promise<void> {
    const fs = join(dir, 'fs');
    await mkdir(fs, { mode: 0o755 });
    const [parent] = parents;
    if (parent) await copyTree(this.fsDir(parent.id), fs);
  }

  protected describe(record: SnapshotRecord): Mount[] {
    return [{ type: 'bind', source: this.fsDir(record.id), options: [record.kind === 'active' ? 'rw' : 'ro', 'rbind'] }];
  }
}

/** cp -a keeps owners, modes, times, links, device nodes and xattrs, which a copy must keep. */
function copyTree(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('cp', ['-a', '--', `${from}/.`, `${to}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new TsdError('internal', `copying snapshot ${from} to ${to} failed: ${stderr.trim()}`));
    });
  });
}
