import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectGarbage, referencedContent, removeStaleIngests } from '../../guest/containerd/content/gc.js';
import { utimes } from 'node:fs/promises';
import { LocalContentStore } from '../../guest/containerd/content/local-store.js';

async function put(store: LocalContentStore, text: string, labels: Record<string, string> = {}): Promise<string> {
  const data = Buffer.from(text);
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const writer = await store.writer(`gc-${text}`);
  await writer.write(data);
  await writer.commit(data.length, digest, { labels });
  return digest;
}

test('mark from roots and gc.root labels along gc.ref.content labels; sweep the rest', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-gc-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = await LocalContentStore.open(dir);
  const layer = await put(store, 'layer');
  const config = await put(store, 'config');
  const manifest = await put(store, 'manifest', { 'containerd.io/gc.ref.content.config': config, 'containerd.io/gc.ref.content.l.0': layer });
  const index = await put(store, 'index', { 'containerd.io/gc.ref.content.m.0': manifest });
  const pinned = await put(store, 'pinned', { 'containerd.io/gc.root': '2024-01-01T00:00:00Z' });
  const orphan = await put(store, 'orphan');
  const leased = await put(store, 'leased');
  t.deepEqual(referencedContent(await store.info(manifest)).sort(), [config, layer].sort());

  const dry = await collectGarbage(store, { roots: [index], isProtected: (d) => d === leased, dryRun: true });
  t.deepEqual(dry.removed, [orphan]);
  t.true(await store.has(orphan));

  const result = await collectGarbage(store, { roots: [index], isProtected: (d) => d === leased });
  t.deepEqual(result.removed, [orphan]);
  t.is(result.kept, 6);
  t.false(await store.has(orphan));
  for (const digest of [layer, config, manifest, index, pinned, leased]) t.true(await store.has(digest));

  const second = await collectGarbage(store, { roots: [] });
  t.deepEqual(second.removed, [config, index, layer, leased, manifest].sort());
  t.true(await store.has(pinned));
});

test('stale ingests are aborted unless protected or held by a writer', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-gc-ingest-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = await LocalContentStore.open(dir);
  for (const ref of ['old', 'old-leased', 'fresh']) {
    const writer = await store.writer(ref);
    await writer.write(Buffer.from(ref));
    await writer.close();
  }
  const held = await store.writer('old-held');
  await held.write(Buffer.from('x'));
  const past = new Date(Date.now() - 3_600_000);
  for (const ref of ['old', 'old-leased', 'old-held']) await utimes(join(store.layout.ingestDir(ref), 'data'), past, past);
  const removed = await removeStaleIngests(store, 600_000, (ref) => ref === 'old-leased');
  t.deepEqual(removed, ['old']);
  t.deepEqual((await store.listStatuses()).map((s) => s.ref).sort(), ['fresh', 'old-held', 'old-leased']);
  await held.close();
});
