/**
 * The garbage collector against clients that add references while it runs (issue 5: a second pull
 * racing a cancelled one lost blobs). A test-only seam in the collector pauses it after it has
 * scanned the snapshotters and before it marks; the test adds a reference there and checks the
 * referenced blob or snapshot survives. Real content store and native snapshotter on temp dirs.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalContentStore } from '../../guest/containerd/content/local-store.js';
import { GarbageCollector } from '../../guest/containerd/metadata/garbage-collector.js';
import { LeaseStore } from '../../guest/containerd/metadata/lease-store.js';
import { MetadataDb } from '../../guest/containerd/metadata/metadata-db.js';
import { NamespacedContent } from '../../guest/containerd/metadata/namespaced-content.js';
import { NamespacedSnapshots } from '../../guest/containerd/metadata/namespaced-snapshots.js';
import { NativeSnapshotter } from '../../guest/containerd/snapshots/native/native-snapshotter.js';

const NS = 'moby';

interface World {
  db: MetadataDb;
  content: NamespacedContent;
  snapshots: NamespacedSnapshots;
  leases: LeaseStore;
  /** A collector that runs `atSeam` after its snapshot scan, before it marks. */
  collector(atSeam: () => Promise<void>): GarbageCollector;
  write(text: string, lease: string): Promise<string>;
}

async function world(t: { teardown(fn: () => Promise<void>): void }): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'tsdtest-gcrace-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const db = await MetadataDb.open(join(dir, 'meta', 'meta.json'));
  const content = new NamespacedContent(db, await LocalContentStore.open(join(dir, 'content')));
  const snapshots = new NamespacedSnapshots(db, new Map([['native', await NativeSnapshotter.open(join(dir, 'native'))]]));
  const leases = new LeaseStore(db);
  return {
    db,
    content,
    snapshots,
    leases,
    collector: (atSeam) => new GarbageCollector(db, content, snapshots, { afterScanForTests: atSeam }),
    async write(text, lease) {
      const writer = await content.writer(NS, `ref-${text}`, {}, lease);
      await writer.write(Buffer.from(text));
      return await writer.commit(0, undefined);
    },
  };
}

test('a blob added to a lease while the collector runs survives it', async (t) => {
  const w = await world(t);
  await w.leases.create(NS, 'cancelled-pull', {});
  await w.leases.create(NS, 'second-pull', {});
  const layer = await w.write('layer bytes', 'cancelled-pull');
  await w.leases.delete(NS, 'cancelled-pull');
  const collected = await w.collector(async () => {
    await w.leases.addResource(NS, 'second-pull', { type: 'content', id: layer });
  }).collect(NS);
  t.deepEqual(collected.content, []);
  t.is(w.content.info(NS, layer).digest, layer);
  t.is((await w.content.blobs.readAll(layer)).toString(), 'layer bytes');
});

test('a blob a leased blob comes to reference through a gc.ref label while the collector runs survives it', async (t) => {
  const w = await world(t);
  await w.leases.create(NS, 'pull', {});
  const layer = await w.write('orphan layer', 'pull');
  const manifest = await w.write('manifest', 'pull');
  await w.leases.deleteResource(NS, 'pull', { type: 'content', id: layer });
  const label = 'containerd.io/gc.ref.content.l.0';
  const collected = await w.collector(async () => {
    await w.content.update(NS, manifest, { [label]: layer }, [`labels.${label}`]);
  }).collect(NS);
  t.deepEqual(collected.content, []);
  t.is(w.content.info(NS, layer).digest, layer);
});

test('a snapshot added to a lease while the collector runs survives it', async (t) => {
  const w = await world(t);
  await w.leases.create(NS, 'unpack', {});
  await w.snapshots.prepare(NS, 'native', 'extract-1', '', {});
  const collected = await w.collector(async () => {
    await w.leases.addResource(NS, 'unpack', { type: 'snapshots/native', id: 'extract-1' });
  }).collect(NS);
  t.deepEqual(collected.snapshots, []);
  t.is((await w.snapshots.stat(NS, 'native', 'extract-1')).name, 'extract-1');
});

test('a second pull that finds a blob already present holds it under its own lease', async (t) => {
  const w = await world(t);
  await w.leases.create(NS, 'cancelled-pull', {});
  await w.leases.create(NS, 'second-pull', {});
  const layer = await w.write('shared layer', 'cancelled-pull');
  // The second pull asks to write the same blob: AlreadyExists tells it "done, skip it".
  await t.throwsAsync(w.content.writer(NS, 'ref-second', { expected: layer }, 'second-pull'), { message: /already exists|content sha256/ });
  t.deepEqual(w.leases.listResources(NS, 'second-pull'), [{ type: 'content', id: layer }]);
  await w.leases.delete(NS, 'cancelled-pull');
  t.deepEqual((await w.collector(async () => undefined).collect(NS)).content, []);
  t.is(w.content.info(NS, layer).digest, layer);
});

test('unreferenced blobs and snapshots still go; a commit racing the collector lands whole', async (t) => {
  const w = await world(t);
  await w.leases.create(NS, 'gone', {});
  await w.leases.create(NS, 'live', {});
  const orphan = await w.write('orphan', 'gone');
  await w.snapshots.prepare(NS, 'native', 'orphan-snap', '', {}, 'gone');
  await w.leases.delete(NS, 'gone');
  let racing: Promise<string> | undefined;
  const collected = await w.collector(async () => {
    // Not awaited: under the fix a commit waits for the collector, it must not deadlock or be lost.
    racing = w.write('racing', 'live');
  }).collect(NS);
  t.deepEqual(collected.content, [orphan]);
  t.deepEqual(collected.snapshots, [{ snapshotter: 'native', key: 'orphan-snap' }]);
  const committed = await (racing as Promise<string>);
  t.is(w.content.info(NS, committed).digest, committed);
  t.is((await w.content.blobs.readAll(committed)).toString(), 'racing');
  t.deepEqual(w.leases.listResources(NS, 'live'), [{ type: 'content', id: committed }]);
});

test('the GC lock: exclusive waits for shared work in flight, and a waiting exclusive holds back later shared work', async (t) => {
  const { GcLock } = await import('../../guest/containerd/metadata/gc-lock.js');
  const lock = new GcLock();
  const order: string[] = [];
  let finishShared = (): void => undefined;
  const first = lock.shared(async () => {
    order.push('shared 1 in');
    await new Promise<void>((resolve) => (finishShared = resolve));
    order.push('shared 1 out');
  });
  const collection = lock.exclusive(async () => void order.push('exclusive'));
  const later = lock.shared(async () => void order.push('shared 2'));
  const alongside = lock.shared(async () => void order.push('shared 3'));
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(order, ['shared 1 in']);
  finishShared();
  await Promise.all([first, collection, later, alongside]);
  t.deepEqual(order, ['shared 1 in', 'shared 1 out', 'exclusive', 'shared 2', 'shared 3']);
});
