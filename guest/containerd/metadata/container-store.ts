/**
 * Containers: metadata only (id, spec, runtime, snapshot, image, labels, extensions), per
 * namespace. Validation, update field paths and filter fields follow containerd's metadata
 * container store: runtime and snapshotter are immutable, an update without paths replaces
 * labels, spec, extensions, image and snapshot key.
 */
import { TsdError } from '../../api/errors.js';
import { anyFilter } from '../content/filters.js';
import { validateIdentifier } from './identifiers.js';
import type { MetadataDb } from './metadata-db.js';
import { validateLabels } from './namespace-store.js';
import type { AnyRecord, ContainerRecord, Labels } from './schema.js';

export type ContainerInput = Omit<ContainerRecord, 'createdAt' | 'updatedAt' | 'spec'> & { spec: AnyRecord | null };

const FULL_REPLACE = ['labels', 'spec', 'extensions', 'image', 'snapshotkey'];

export class ContainerStore {
  constructor(private readonly db: MetadataDb) {}

  get(ns: string, id: string): ContainerRecord {
    const container = this.db.namespace(ns)?.containers[id];
    if (!container) throw new TsdError('not-found', `container "${id}" in namespace "${ns}"`);
    return structuredClone(container);
  }

  list(ns: string, filters: string[]): ContainerRecord[] {
    const matches = anyFilter(filters);
    return Object.values(this.db.namespace(ns)?.containers ?? {})
      .filter((container) => matches((path) => containerField(container, path)))
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((container) => structuredClone(container));
  }

  async create(ns: string, input: ContainerInput): Promise<ContainerRecord> {
    const checked = validateContainer(input);
    return await this.db.updateNamespace(ns, (record) => {
      if (record.containers[input.id]) throw new TsdError('already-exists', `container "${input.id}"`);
      const now = new Date().toISOString();
      const container: ContainerRecord = { ...structuredClone(checked), labels: dropEmpty(checked.labels), createdAt: now, updatedAt: now };
      record.containers[input.id] = container;
      return structuredClone(container);
    });
  }

  /** Paths: labels, labels.KEY, spec, extensions, extensions.KEY, image, snapshotkey. */
  async update(ns: string, input: ContainerInput, paths: string[]): Promise<ContainerRecord> {
    if (input.id === '') throw new TsdError('invalid-argument', 'must specify a container id');
    return await this.db.updateNamespace(ns, (record) => {
      const current = record.containers[input.id];
      if (!current) throw new TsdError('not-found', `container "${input.id}"`);
      const updated = structuredClone(current);
      if (paths.length === 0) {
        if (current.snapshotter !== input.snapshotter) throw new TsdError('invalid-argument', 'container.Snapshotter field is immutable');
        if (current.runtime.name !== input.runtime.name) throw new TsdError('invalid-argument', 'container.Runtime.Name field is immutable');
      }
      for (const path of paths.length === 0 ? FULL_REPLACE : paths) applyPath(updated, input, path);
      const checked = validateContainer(updated);
      checked.labels = dropEmpty(checked.labels);
      const result: ContainerRecord = { ...checked, createdAt: current.createdAt, updatedAt: new Date().toISOString() };
      record.containers[input.id] = result;
      return structuredClone(result);
    });
  }

  async delete(ns: string, id: string): Promise<void> {
    await this.db.updateNamespace(ns, (record) => {
      if (!record.containers[id]) throw new TsdError('not-found', `container "${id}"`);
      delete record.containers[id];
    });
  }
}

function applyPath(into: ContainerInput, from: ContainerInput, path: string): void {
  if (path.startsWith('labels.')) {
    const key = path.slice('labels.'.length);
    const value = from.labels[key];
    if (value === undefined || value === '') delete into.labels[key];
    else into.labels[key] = value;
    return;
  }
  if (path.startsWith('extensions.')) {
    const key = path.slice('extensions.'.length);
    const value = from.extensions[key];
    if (value === undefined) delete into.extensions[key];
    else into.extensions[key] = { ...value };
    return;
  }
  switch (path) {
    case 'labels': into.labels = { ...from.labels }; return;
    case 'spec': into.spec = from.spec && { ...from.spec }; return;
    case 'extensions': into.extensions = structuredClone(from.extensions); return;
    case 'image': into.image = from.image; return;
    case 'snapshotkey': into.snapshotKey = from.snapshotKey; return;
    default: throw new TsdError('invalid-argument', `cannot update "${path}" field on "${into.id}"`);
  }
}

function validateContainer(input: ContainerInput): Omit<ContainerRecord, 'createdAt' | 'updatedAt'> {
  validateIdentifier(input.id, 'container.ID');
  for (const key of Object.keys(input.extensions)) {
    if (key === '') throw new TsdError('invalid-argument', 'container.Extension keys must not be zero-length');
  }
  validateLabels(input.labels);
  if (input.runtime.name === '') throw new TsdError('invalid-argument', 'container.Runtime.Name must be set');
  if (!input.spec) throw new TsdError('invalid-argument', 'container.Spec must be set');
  if (input.snapshotKey !== '' && input.snapshotter === '') {
    throw new TsdError('invalid-argument', 'container.Snapshotter must be set if container.SnapshotKey is set');
  }
  return { ...input, spec: input.spec };
}

function containerField(container: ContainerRecord, [head, ...rest]: string[]): string | undefined {
  const present = (value: string): string | undefined => (value === '' ? undefined : value);
  if (head === 'id' && rest.length === 0) return present(container.id);
  if (head === 'image' && rest.length === 0) return present(container.image);
  if (head === 'runtime' && rest.length === 1 && rest[0] === 'name') return present(container.runtime.name);
  if (head === 'labels' && rest.length > 0) return container.labels[rest.join('.')];
  return undefined;
}

function dropEmpty(labels: Labels): Labels {
  return Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
}
