/**
 * Namespaces: create, get, list, update labels, delete. A namespace also appears when anything is
 * first created in it; it can be deleted only when empty, like containerd's (FailedPrecondition
 * naming what is left).
 */
import { TsdError } from '../../api/errors.js';
import { validateIdentifier } from './identifiers.js';
import type { MetadataDb } from './metadata-db.js';
import { emptyNamespace, type Labels } from './schema.js';

export interface Namespace {
  name: string;
  labels: Labels;
}

/** Snapshot keys a namespace holds, per snapshotter (snapshots live in the snapshotters). */
export type SnapshotCounter = (namespace: string) => Promise<Record<string, number>>;

export class NamespaceStore {
  constructor(private readonly db: MetadataDb, private readonly countSnapshots: SnapshotCounter) {}

  /** Labels of a namespace; one that does not exist has none (containerd answers the same). */
  get(name: string): Namespace {
    return { name, labels: { ...(this.db.namespace(name)?.labels ?? {}) } };
  }

  list(): Namespace[] {
    return Object.keys(this.db.view().namespaces).sort().map((name) => this.get(name));
  }

  async create(name: string, labels: Labels): Promise<Namespace> {
    validateIdentifier(name, 'namespace');
    validateLabels(labels);
    return await this.db.update((draft) => {
      if (draft.namespaces[name]) throw new TsdError('already-exists', `namespace ${name}`);
      draft.namespaces[name] = emptyNamespace(dropEmpty(labels));
      return { name, labels: dropEmpty(labels) };
    });
  }

  /** Replaces all labels, or with `paths` ("labels.KEY") sets only those (empty removes). */
  async update(name: string, labels: Labels, paths: string[]): Promise<Namespace> {
    validateIdentifier(name, 'namespace');
    validateLabels(labels);
    return await this.db.update((draft) => {
      const ns = draft.namespaces[name];
      if (!ns) throw new TsdError('not-found', `namespace ${name}`);
      if (paths.length === 0) ns.labels = dropEmpty(labels);
      for (const path of paths) {
        if (!path.startsWith('labels.')) throw new TsdError('invalid-argument', `cannot update "${path}" field of namespace ${name}`);
        const key = path.slice('labels.'.length);
        const value = labels[key];
        if (value === undefined || value === '') delete ns.labels[key];
        else ns.labels[key] = value;
      }
      return { name, labels: { ...ns.labels } };
    });
  }

  async delete(name: string): Promise<void> {
    const ns = this.db.namespace(name);
    if (!ns) throw new TsdError('not-found', `namespace ${name}`);
    const left: string[] = [];
    for (const [what, records] of [['images', ns.images], ['blobs', ns.content], ['leases', ns.leases], ['containers', ns.containers]] as const) {
      if (Object.keys(records).length > 0) left.push(what);
    }
    for (const [snapshotter, count] of Object.entries(await this.countSnapshots(name))) {
      if (count > 0) left.push(`snapshots on "${snapshotter}" snapshotter`);
    }
    if (left.length > 0) throw new TsdError('conflict', `namespace "${name}" must be empty, but it still has ${left.join(', ')}`);
    await this.db.update((draft) => {
      delete draft.namespaces[name];
    });
  }
}

export function validateLabels(labels: Labels): void {
  for (const [key, value] of Object.entries(labels)) {
    if (key === '') throw new TsdError('invalid-argument', 'label key must not be empty');
    if (key.length + value.length > 4096) throw new TsdError('invalid-argument', `label "${key.slice(0, 64)}": key and value exceed 4096 bytes`);
  }
}

function dropEmpty(labels: Labels): Labels {
  return Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
}
