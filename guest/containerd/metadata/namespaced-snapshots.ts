/**
 * Snapshots as clients see them: each namespace has its own keys. The snapshotters know nothing
 * of namespaces; this layer stores "<namespace>/<key>" in them and strips the prefix on the way
 * out, so a parent or key in another namespace is simply not found. Snapshots created under a
 * lease are added to it. Every change holds the GC lock shared (gc-lock.ts): a snapshot and its
 * lease land together, never between the collector's scan and its sweep.
 */
import { TsdError } from '../../api/errors.js';
import { anyFilter } from '../content/filters.js';
import type { Labels, Mount, SnapshotInfo, Snapshotter, Usage } from '../snapshots/snapshotter.js';
import { addLeaseResource } from './lease-store.js';
import type { MetadataDb } from './metadata-db.js';
import { validateLabels } from './namespace-store.js';

export class NamespacedSnapshots {
  constructor(
    private readonly db: MetadataDb,
    private readonly snapshotters: ReadonlyMap<string, Snapshotter | { error: string }>,
  ) {}

  /** The snapshotters that loaded. */
  names(): string[] {
    return [...this.snapshotters].filter(([, s]) => !('error' in s)).map(([name]) => name);
  }

  /** Number of snapshots each snapshotter holds for `ns`. */
  async count(ns: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const [name, snapshotter] of this.snapshotters) {
      if ('error' in snapshotter) continue;
      counts[name] = (await snapshotter.list()).filter((info) => info.name.startsWith(`${ns}/`)).length;
    }
    return counts;
  }

  async prepare(ns: string, snapshotter: string, key: string, parent: string, labels: Labels, lease?: string): Promise<Mount[]> {
    validateLabels(labels);
    return await this.db.gcLock.shared(async () => {
      const mounts = await this.#call(ns, () => this.#get(snapshotter).prepare(scoped(ns, key), parent ? scoped(ns, parent) : undefined, labels));
      await this.#lease(ns, snapshotter, key, lease);
      return mounts;
    });
  }

  async view(ns: string, snapshotter: string, key: string, parent: string, labels: Labels, lease?: string): Promise<Mount[]> {
    validateLabels(labels);
    return await this.db.gcLock.shared(async () => {
      const mounts = await this.#call(ns, () => this.#get(snapshotter).view(scoped(ns, key), parent ? scoped(ns, parent) : undefined, labels));
      await this.#lease(ns, snapshotter, key, lease);
      return mounts;
    });
  }

  mounts(ns: string, snapshotter: string, key: string): Promise<Mount[]> {
    return this.#call(ns, () => this.#get(snapshotter).mounts(scoped(ns, key)));
  }

  async commit(ns: string, snapshotter: string, name: string, key: string, labels: Labels, lease?: string): Promise<void> {
    validateLabels(labels);
    if (name === '') throw new TsdError('invalid-argument', 'commit needs a name for the committed snapshot');
    await this.db.gcLock.shared(async () => {
      await this.#call(ns, () => this.#get(snapshotter).commit(scoped(ns, name), scoped(ns, key), labels));
      await this.#lease(ns, snapshotter, name, lease);
    });
  }

  remove(ns: string, snapshotter: string, key: string): Promise<void> {
    return this.db.gcLock.shared(() => this.removeHoldingGcLock(ns, snapshotter, key));
  }

  /** `remove` for the garbage collector, which holds the GC lock exclusive already. */
  removeHoldingGcLock(ns: string, snapshotter: string, key: string): Promise<void> {
    return this.#call(ns, () => this.#get(snapshotter).remove(scoped(ns, key)));
  }

  async stat(ns: string, snapshotter: string, key: string): Promise<SnapshotInfo> {
    return unscoped(ns, await this.#call(ns, () => this.#get(snapshotter).stat(scoped(ns, key))));
  }

  async update(ns: string, snapshotter: string, key: string, labels: Labels, paths: string[]): Promise<SnapshotInfo> {
    validateLabels(labels);
    return unscoped(ns, await this.db.gcLock.shared(() => this.#call(ns, () => this.#get(snapshotter).update(scoped(ns, key), labels, paths))));
  }

  usage(ns: string, snapshotter: string, key: string): Promise<Usage> {
    return this.#call(ns, () => this.#get(snapshotter).usage(scoped(ns, key)));
  }

  async list(ns: string, snapshotter: string, filters: string[]): Promise<SnapshotInfo[]> {
    const matches = anyFilter(filters);
    const all = await this.#get(snapshotter).list();
    return all
      .filter((info) => info.name.startsWith(`${ns}/`))
      .map((info) => unscoped(ns, info))
      .filter((info) =>
        matches(([head, ...rest]) => {
          if (rest.length === 0 && (head === 'name' || head === 'parent' || head === 'kind')) return head === 'kind' ? info.kind : info[head];
          if (head === 'labels' && rest.length > 0) return info.labels[rest.join('.')];
          return undefined;
        }),
      );
  }

  cleanup(snapshotter: string): Promise<void> {
    return this.#get(snapshotter).cleanup();
  }

  #get(name: string): Snapshotter {
    if (name === '') throw new TsdError('invalid-argument', 'snapshotter argument missing');
    const snapshotter = this.snapshotters.get(name);
    if (!snapshotter) throw new TsdError('invalid-argument', `snapshotter not loaded: ${name} (available: ${[...this.snapshotters.keys()].join(', ')})`);
    if ('error' in snapshotter) throw new TsdError('unavailable', `snapshotter ${name} is unavailable: ${snapshotter.error}`);
    return snapshotter;
  }

  /** Runs a snapshotter call, naming keys in errors as the namespace's client knows them. */
  async #call<T>(ns: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof TsdError) throw new TsdError(error.code, error.message.replaceAll(` ${ns}/`, ' '), { cause: error });
      throw error;
    }
  }

  async #lease(ns: string, snapshotter: string, key: string, lease: string | undefined): Promise<void> {
    if (!lease) return;
    await this.db.updateNamespace(ns, (record) => addLeaseResource(record, lease, { type: `snapshots/${snapshotter}`, id: key }));
  }
}

function scoped(ns: string, key: string): string {
  if (key === '') throw new TsdError('invalid-argument', 'snapshot key must not be empty');
  return `${ns}/${key}`;
}

function unscoped(ns: string, info: SnapshotInfo): SnapshotInfo {
  const strip = (key: string): string => key.slice(ns.length + 1);
  return { ...info, name: strip(info.name), ...(info.parent ? { parent: strip(info.parent) } : {}) };
}
