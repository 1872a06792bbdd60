/**
 * A snapshotter's own records (key -> id, kind, parent, labels), one JSON file rewritten
 * atomically after each change. Directories are created before their record and removed after
 * it, so a crash leaves at most an unowned directory, which `cleanup` removes.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic-file.js';
import type { Labels, SnapshotKind, Usage } from './snapshotter.js';

export interface SnapshotRecord {
  key: string;
  id: number;
  kind: SnapshotKind;
  parent?: string;
  labels: Labels;
  createdAt: string;
  updatedAt: string;
  /** Measured at commit; committed snapshots do not change. */
  usage?: Usage;
}

interface TableFile {
  nextId: number;
  snapshots: Record<string, SnapshotRecord>;
}

export class SnapshotTable {
  #file: TableFile;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(readonly path: string, file: TableFile) {
    this.#file = file;
  }

  static async open(path: string): Promise<SnapshotTable> {
    await mkdir(dirname(path), { recursive: true });
    const text = await readFile(path, 'utf8').catch(() => undefined);
    return new SnapshotTable(path, text === undefined ? { nextId: 1, snapshots: {} } : (JSON.parse(text) as TableFile));
  }

  get(key: string): SnapshotRecord | undefined {
    return this.#file.snapshots[key];
  }

  all(): SnapshotRecord[] {
    return Object.values(this.#file.snapshots);
  }

  /** Reserves an id (persisted with the next change; ids are only ever larger). */
  allocateId(): number {
    return this.#file.nextId++;
  }

  /** Applies `change` to a copy of the records and persists it, one change at a time. */
  change<T>(change: (snapshots: Record<string, SnapshotRecord>) => T): Promise<T> {
    const run = async (): Promise<T> => {
      const draft = structuredClone(this.#file);
      const result = change(draft.snapshots);
      await writeFileAtomic(this.path, JSON.stringify(draft));
      this.#file = { ...draft, nextId: Math.max(draft.nextId, this.#file.nextId) };
      return result;
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
