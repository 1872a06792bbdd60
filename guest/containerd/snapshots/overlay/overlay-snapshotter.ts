/**
 * The overlayfs snapshotter: each snapshot's `fs` is one layer. An active snapshot on parents is
 * described as an overlay mount (upperdir = its fs, lowerdir = its parents' fs, nearest first);
 * a snapshot with no parent, or a view of a single parent, is a bind mount. Nothing is mounted
 * here: the mounts are descriptions for whoever uses the snapshot.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../../api/errors.js';
import { DirectorySnapshotter } from '../directory-snapshotter.js';
import type { SnapshotRecord } from '../snapshot-table.js';
import type { Mount, SnapshotKind } from '../snapshotter.js';

export class OverlaySnapshotter extends DirectorySnapshotter {
  static async open(root: string): Promise<OverlaySnapshotter> {
    if (!(await overlaySupported())) throw new TsdError('unsupported', 'overlayfs is not available in this kernel (no "overlay" in /proc/filesystems)');
    return new OverlaySnapshotter('overlayfs', root, await DirectorySnapshotter.openTable(root));
  }

  protected async populate(dir: string, kind: SnapshotKind): Promise<void> {
    await mkdir(join(dir, 'fs'), { mode: 0o755 });
    if (kind === 'active') await mkdir(join(dir, 'work'), { mode: 0o711 });
  }

  protected describe(record: SnapshotRecord, parents: SnapshotRecord[]): Mount[] {
    const readOnly = record.kind !== 'active';
    if (parents.length === 0) {
      return [{ type: 'bind', source: this.fsDir(record.id), options: [readOnly ? 'ro' : 'rw', 'rbind'] }];
    }
    const lower = parents.map((p) => this.fsDir(p.id)).join(':');
    if (readOnly) {
      if (parents.length === 1) return [{ type: 'bind', source: lower, options: ['ro', 'rbind'] }];
      return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lower}`] }];
    }
    return [{
      type: 'overlay',
      source: 'overlay',
      options: [`workdir=${join(this.snapshotDir(record.id), 'work')}`, `upperdir=${this.fsDir(record.id)}`, `lowerdir=${lower}`],
    }];
  }
}

async function overlaySupported(): Promise<boolean> {
  const text = await readFile('/proc/filesystems', 'utf8').catch(() => '');
  return /\toverlay$/m.test(text);
}
