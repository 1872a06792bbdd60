/**
 * What the overlay and native snapshotters share: records in a SnapshotTable, one directory per
 * snapshot under ROOT/snapshots/<id>/ (`fs`, plus `work` for overlay), the rules of kinds and
 * parents with containerd's error kinds, and usage. Subclasses decide how a new snapshot's `fs`
 * starts (empty, or a copy of its parent) and which mounts describe it.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../api/errors.js';
import { diskUsage } from './disk-usage.js';
import { SnapshotTable, type SnapshotRecord } from './snapshot-table.js';
import type { Labels, Mount, SnapshotInfo, SnapshotKind, Snapshotter, Usage } from './snapshotter.js';

export abstract class DirectorySnapshotter implements Snapshotter {
  protected constructor(readonly name: string, readonly root: string, protected readonly table: SnapshotTable) {}

  protected static async openTable(root: string): Promise<SnapshotTable> {
    await mkdir(join(root, 'snapshots'), { recursive: true, mode: 0o700 });
    return await SnapshotTable.open(join(root, 'metadata.json'));
  }

  /** Fills a new snapshot's directory (under `dir`) from its parents' chain (nearest first). */
  protected abstract populate(dir: string, kind: SnapshotKind, parents: SnapshotRecord[]): Promise<void>;
  /** The mounts of `record`, whose parents' chain is `parents` (nearest first). */
  protected abstract describe(record: SnapshotRecord, parents: SnapshotRecord[]): Mount[];

  protected snapshotDir(id: number): string {
    return join(this.root, 'snapshots', String(id));
  }
  protected fsDir(id: number): string {
    return join(this.snapshotDir(id), 'fs');
  }

  async stat(key: string): Promise<SnapshotInfo> {
    return toInfo(this.#require(key));
  }

  async update(key: string, labels: Labels, paths: string[]): Promise<SnapshotInfo> {
    return await this.table.change((snapshots) => {
      const record = snapshots[key];
      if (!record) throw notFound(key);
      if (paths.length === 0 || paths.includes('labels')) record.labels = dropEmpty(labels);
      for (const path of paths) {
        if (path === 'labels') continue;
        if (!path.startsWith('labels.')) throw new TsdError('invalid-argument', `cannot update "${path}" field on snapshot ${key}: only labels change`);
        const label = path.slice('labels.'.length);
        const value = labels[label];
        if (value === undefined || value === '') delete record.labels[label];
        else record.labels[label] = value;
      }
      record.updatedAt = new Date().toISOString();
      return toInfo(record);
    });
  }

  async usage(key: string): Promise<Usage> {
    const record = this.#require(key);
    return record.usage ?? (await diskUsage(this.fsDir(record.id)));
  }

  async mounts(key: string): Promise<Mount[]> {
    const record = this.#require(key);
    return this.describe(record, this.#parents(record));
  }

  prepare(key: string, parent: string | undefined, labels: Labels): Promise<Mount[]> {
    return this.#create('active', key, parent, labels);
  }

  view(key: string, parent: string | undefined, labels: Labels): Promise<Mount[]> {
    return this.#create('view', key, parent, labels);
  }

  async commit(name: string, key: string, labels: Labels): Promise<void> {
    const record = this.#require(key);
    if (record.kind !== 'active') throw new TsdError('conflict', `snapshot ${key} is a ${record.kind} snapshot, not active: only active snapshots can be committed`);
    const usage = await diskUsage(this.fsDir(record.id));
    await this.table.change((snapshots) => {
      if (!snapshots[key]) throw notFound(key);
      if (snapshots[name]) throw new TsdError('already-exists', `snapshot ${name}`);
      const now = new Date().toISOString();
      const committed: SnapshotRecord = { ...record, key: name, kind: 'committed', labels: { ...record.labels, ...dropEmpty(labels) }, updatedAt: now, usage };
      delete snapshots[key];
      snapshots[name] = committed;
    });
  }

  async remove(key: string): Promise<void> {
    const record = await this.table.change((snapshots) => {
      const found = snapshots[key];
      if (!found) throw notFound(key);
      const child = Object.values(snapshots).find((s) => s.parent === key);
      if (child) throw new TsdError('conflict', `cannot remove snapshot ${key}: it is the parent of ${child.key}`);
      delete snapshots[key];
      return found;
    });
    await rm(this.snapshotDir(record.id), { recursive: true, force: true });
  }

  async list(): Promise<SnapshotInfo[]> {
    return this.table.all().map(toInfo);
  }

  async cleanup(): Promise<void> {
    const owned = new Set(this.table.all().map((r) => String(r.id)));
    for (const name of await readdir(join(this.root, 'snapshots'))) {
      if (!owned.has(name)) await rm(join(this.root, 'snapshots', name), { recursive: true, force: true });
    }
  }

  async #create(kind: SnapshotKind, key: string, parent: string | undefined, labels: Labels): Promise<Mount[]> {
    if (key === '') throw new TsdError('invalid-argument', 'snapshot key must not be empty');
    const check = (snapshots: Record<string, SnapshotRecord>): SnapshotRecord | undefined => {
      if (snapshots[key]) throw new TsdError('already-exists', `snapshot ${key}`);
      if (parent === undefined) return undefined;
      const parentRecord = snapshots[parent];
      if (!parentRecord) throw new TsdError('not-found', `parent snapshot ${parent} does not exist`);
      if (parentRecord.kind !== 'committed') throw new TsdError('invalid-argument', `parent snapshot ${parent} is ${parentRecord.kind}, not committed`);
      return parentRecord;
    };
    const parentRecord = check(Object.fromEntries(this.table.all().map((r) => [r.key, r])));
    const parents = parentRecord ? [parentRecord, ...this.#parents(parentRecord)] : [];
    const id = this.table.allocateId();
    const dir = this.snapshotDir(id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      await this.populate(dir, kind, parents);
      const now = new Date().toISOString();
      const record: SnapshotRecord = { key, id, kind, labels: dropEmpty(labels), createdAt: now, updatedAt: now, ...(parent ? { parent } : {}) };
      await this.table.change((snapshots) => {
        check(snapshots);
        snapshots[key] = record;
      });
      return this.describe(record, parents);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  #require(key: string): SnapshotRecord {
    const record = this.table.get(key);
    if (!record) throw notFound(key);
    return record;
  }

  /** The chain of parents of `record`, nearest first. */
  #parents(record: SnapshotRecord): SnapshotRecord[] {
    const chain: SnapshotRecord[] = [];
    for (let key = record.parent; key !== undefined; ) {
      const parent = this.table.get(key);
      if (!parent) throw new TsdError('internal', `snapshot ${record.key}: parent ${key} is missing from the snapshotter's records`);
      chain.push(parent);
      key = parent.parent;
    }
    return chain;
  }
}

function notFound(key: string): TsdError {
  return new TsdError('not-found', `snapshot ${key} does not exist`);
}

function toInfo(record: SnapshotRecord): SnapshotInfo {
  return {
    name: record.key,
    kind: record.kind,
    labels: { ...record.labels },
    createdAt: new Date(record.createdAt),
    updatedAt: new Date(record.updatedAt),
    ...(record.parent ? { parent: record.parent } : {}),
  };
}

function dropEmpty(labels: Labels): Labels {
  return Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
}
