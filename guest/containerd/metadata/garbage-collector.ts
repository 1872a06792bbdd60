/**
 * Garbage collection of one namespace, containerd's mark and sweep:
 *  roots    image targets, resources of unexpired leases (containerd.io/gc.expire, RFC 3339),
 *           content and snapshots labelled containerd.io/gc.root, containers (their snapshot
 *           and their gc.ref labels); expired leases are deleted;
 *  edges    content labels containerd.io/gc.ref.content* (-> blob) and
 *           containerd.io/gc.ref.snapshot.<snapshotter> (-> snapshot), the same labels on
 *           snapshots, and every snapshot's parent;
 *  sweep    blob records and snapshots nothing reaches (snapshots leaf first).
 * Runs after an image or a lease is deleted, one collection at a time.
 *
 * Why the locks: a decision made on a stale view deletes what a client has just come to
 * reference (a second pull adding a blob to its lease while a cancelled pull's lease goes). So
 * the collection holds the GC lock exclusive throughout (content commits and snapshot changes
 * wait; see gc-lock.ts), and marks and sweeps inside `db.hold`, reading the metadata only once
 * every earlier update has landed and letting no later one land until the sweep is done. A
 * reference added before the mark is seen; one asked for after it waits and finds the thing gone
 * (or kept), never a half-swept state.
 */
import type { SnapshotInfo } from '../snapshots/snapshotter.js';
import type { MetadataDb } from './metadata-db.js';
import type { NamespacedContent } from './namespaced-content.js';
import type { NamespacedSnapshots } from './namespaced-snapshots.js';
import type { DbState, Labels } from './schema.js';

const GC_ROOT = 'containerd.io/gc.root';
const GC_EXPIRE = 'containerd.io/gc.expire';
const REF_CONTENT = 'containerd.io/gc.ref.content';
const REF_SNAPSHOT = 'containerd.io/gc.ref.snapshot.';

export interface Collected {
  content: string[];
  snapshots: Array<{ snapshotter: string; key: string }>;
}

export class GarbageCollector {
  constructor(
    private readonly db: MetadataDb,
    private readonly content: NamespacedContent,
    private readonly snapshots: NamespacedSnapshots,
    /** Test-only seam: runs after the snapshot scan, before the mark (test/integration/containerd-gc-race). */
    private readonly seams: { afterScanForTests?: () => Promise<void> } = {},
  ) {}

  /** One collection at a time: the exclusive GC lock serialises them too. */
  collect(ns: string): Promise<Collected> {
    return this.db.gcLock.exclusive(() => this.#collect(ns));
  }

  async #collect(ns: string): Promise<Collected> {
    if (!this.db.namespace(ns)) return { content: [], snapshots: [] };
    // Snapshotter changes hold the GC lock shared, so this scan stays true until the sweep.
    const snapshotInfos = new Map<string, Map<string, SnapshotInfo>>();
    for (const name of this.snapshots.names()) {
      snapshotInfos.set(name, new Map((await this.snapshots.list(ns, name, [])).map((info) => [info.name, info])));
    }
    await this.seams.afterScanForTests?.();
    return await this.db.hold((update) => this.#markAndSweep(ns, snapshotInfos, update));
  }

  async #markAndSweep(
    ns: string,
    snapshotInfos: Map<string, Map<string, SnapshotInfo>>,
    update: <R>(change: (draft: DbState) => R) => Promise<R>,
  ): Promise<Collected> {
    const record = this.db.namespace(ns);
    if (!record) return { content: [], snapshots: [] };
    const blobs = new Set<string>();
    const snaps = new Set<string>(); // "<snapshotter>/<key>"
    const blobQueue: string[] = [];
    const snapQueue: Array<[string, string]> = [];
    const markBlob = (digest: string): void => {
      if (!blobs.has(digest) && record.content[digest]) {
        blobs.add(digest);
        blobQueue.push(digest);
      }
    };
    const markSnapshot = (snapshotter: string, key: string): void => {
      const id = `${snapshotter}/${key}`;
      if (!snaps.has(id) && snapshotInfos.get(snapshotter)?.has(key)) {
        snaps.add(id);
        snapQueue.push([snapshotter, key]);
      }
    };
    const followLabels = (labels: Labels): void => {
      for (const [key, value] of Object.entries(labels)) {
        if (key.startsWith(REF_CONTENT)) markBlob(value);
        else if (key.startsWith(REF_SNAPSHOT)) markSnapshot(key.slice(REF_SNAPSHOT.length), value);
      }
    };

    for (const image of Object.values(record.images)) markBlob(image.target.digest);
    for (const container of Object.values(record.containers)) {
      if (container.snapshotKey !== '') markSnapshot(container.snapshotter, container.snapshotKey);
      followLabels(container.labels);
    }
    const now = Date.now();
    const expired = Object.values(record.leases).filter((lease) => Date.parse(lease.labels[GC_EXPIRE] ?? '') <= now);
    for (const lease of Object.values(record.leases)) {
      if (expired.includes(lease)) continue;
      for (const resource of lease.resources) {
        if (resource.type === 'content') markBlob(resource.id);
        else if (resource.type.startsWith('snapshots/')) markSnapshot(resource.type.slice('snapshots/'.length), resource.id);
      }
    }
    for (const blob of Object.values(record.content)) if (blob.labels[GC_ROOT] !== undefined) markBlob(blob.digest);
    for (const [snapshotter, infos] of snapshotInfos) {
      for (const info of infos.values()) if (info.labels[GC_ROOT] !== undefined) markSnapshot(snapshotter, info.name);
    }
    while (blobQueue.length > 0 || snapQueue.length > 0) {
      const digest = blobQueue.pop();
      if (digest !== undefined) followLabels(record.content[digest]?.labels ?? {});
      const snapshot = snapQueue.pop();
      if (snapshot) {
        const [snapshotter, key] = snapshot;
        const info = snapshotInfos.get(snapshotter)?.get(key);
        if (info?.parent) markSnapshot(snapshotter, info.parent);
        followLabels(info?.labels ?? {});
      }
    }

    const collected: Collected = { content: Object.keys(record.content).filter((digest) => !blobs.has(digest)), snapshots: [] };
    if (expired.length > 0 || collected.content.length > 0) {
      // Records first, bytes after: a kill -9 in between leaves unreferenced bytes, never a record without them.
      const orphaned = await update((draft) => {
        const target = draft.namespaces[ns];
        if (!target) return [];
        for (const lease of expired) delete target.leases[lease.id];
        for (const digest of collected.content) delete target.content[digest];
        return collected.content.filter((digest) => !Object.values(draft.namespaces).some((other) => other.content[digest] !== undefined));
      });
      for (const digest of orphaned) await this.content.blobs.delete(digest).catch(() => undefined);
    }
    for (const [snapshotter, infos] of snapshotInfos) {
      const doomed = new Map([...infos].filter(([key]) => !snaps.has(`${snapshotter}/${key}`)));
      // Leaf first: a snapshot goes once no remaining doomed snapshot names it as parent.
      while (doomed.size > 0) {
        const leaves = [...doomed.keys()].filter((key) => ![...doomed.values()].some((info) => info.parent === key));
        if (leaves.length === 0) break;
        for (const key of leaves) {
          await this.snapshots.removeHoldingGcLock(ns, snapshotter, key);
          doomed.delete(key);
          collected.snapshots.push({ snapshotter, key });
        }
      }
    }
    return collected;
  }
}
