/**
 * Garbage collection of the content store: mark from roots along `containerd.io/gc.ref.content*`
 * labels, sweep what is unreached. The store alone does not know its roots (images, leases,
 * containers live in containerd's metadata), so the caller passes them; blobs labelled
 * `containerd.io/gc.root` are roots too. The caller must keep writers out while it runs, or
 * protect in-flight content (a lease) through `isProtected`: a pull commits children before the
 * manifest that references them.
 */
import type { ContentInfo, ContentStore } from './content-store.js';
import { isDigest } from '../../api/oci-image-spec.js';

export const GC_ROOT_LABEL = 'containerd.io/gc.root';
export const GC_REF_CONTENT_PREFIX = 'containerd.io/gc.ref.content';

export interface GcOptions {
  /** Digests that must survive with everything they reference (images' targets, leased content). */
  roots: Iterable<string>;
  /** Extra protection (e.g. content held by a lease) checked before each removal. */
  isProtected?: (digest: string) => boolean;
  /** Report what would be removed without removing it. */
  dryRun?: boolean;
}

export interface GcResult {
  removed: string[];
  kept: number;
}

/** Digests a blob references through its gc.ref.content labels. */
export function referencedContent(info: Pick<ContentInfo, 'labels'>): string[] {
  return Object.entries(info.labels)
    .filter(([key, value]) => (key === GC_REF_CONTENT_PREFIX || key.startsWith(`${GC_REF_CONTENT_PREFIX}.`)) && isDigest(value))
    .map(([, value]) => value);
}

export async function collectGarbage(store: ContentStore, options: GcOptions): Promise<GcResult> {
  const all = new Map<string, ContentInfo>();
  await store.walk((info) => void all.set(info.digest, info));
  const reached = new Set<string>();
  const queue = [...options.roots, ...[...all.values()].filter((i) => i.labels[GC_ROOT_LABEL] !== undefined).map((i) => i.digest)];
  while (queue.length > 0) {
    const digest = queue.pop() as string;
    if (reached.has(digest)) continue;
    reached.add(digest);
    const info = all.get(digest);
    if (info) queue.push(...referencedContent(info));
  }
  const removed: string[] = [];
  for (const digest of all.keys()) {
    if (reached.has(digest) || options.isProtected?.(digest)) continue;
    if (!options.dryRun) await store.delete(digest).catch(() => undefined);
    removed.push(digest);
  }
  return { removed: removed.sort(), kept: all.size - removed.length };
}

/**
 * Aborts ingests not written to for `maxAgeMs` (a pull killed long ago), except protected refs
 * (a lease on the ingest). Returns the refs removed.
 */
export async function removeStaleIngests(store: ContentStore, maxAgeMs: number, isProtected: (ref: string) => boolean = () => false): Promise<string[]> {
  const cutoff = Date.now() - maxAgeMs;
  const stale = await store.listStatuses((status) => status.updatedAt.getTime() < cutoff && !isProtected(status.ref));
  const removed: string[] = [];
  for (const status of stale) {
    // A writer holding the ref makes abort fail: it is not stale after all.
    if (await store.abort(status.ref).then(() => true, () => false)) removed.push(status.ref);
  }
  return removed.sort();
}
