/**
 * The namespaced metadata store on a temporary file: atomic changes (a failed change leaves the
 * database as it was), reload, namespaces, images (field paths, filters), leases.
 */
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import { ImageStore } from '../../guest/containerd/metadata/image-store.js';
import { LeaseStore } from '../../guest/containerd/metadata/lease-store.js';
import { MetadataDb } from '../../guest/containerd/metadata/metadata-db.js';
import { NamespaceStore } from '../../guest/containerd/metadata/namespace-store.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: DIGEST, size: 10, annotations: {} };

async function withDb(run: (db: MetadataDb, path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tsdtest-meta-'));
  try {
    const path = join(dir, 'meta.json');
    await run(await MetadataDb.open(path), path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a change that throws leaves the database and its file as they were; reopening reloads', (t) =>
  withDb(async (db, path) => {
    const namespaces = new NamespaceStore(db, async () => ({}));
    await namespaces.create('one', { a: 'b' });
    const before = await readFile(path, 'utf8');
    await t.throwsAsync(db.update((draft) => {
      delete draft.namespaces['one'];
      throw new TsdError('conflict', 'no');
    }));
    t.truthy(db.namespace('one'));
    t.is(await readFile(path, 'utf8'), before);
    const reopened = new NamespaceStore(await MetadataDb.open(path), async () => ({}));
    t.deepEqual(reopened.list(), [{ name: 'one', labels: { a: 'b' } }]);
  }));

test('namespaces: labels by field path, missing ones are empty, non-empty ones stay', (t) =>
  withDb(async (db) => {
    let snapshots = 0;
    const namespaces = new NamespaceStore(db, async () => ({ overlayfs: snapshots }));
    await namespaces.create('ns', { a: '1', b: '2' });
    t.deepEqual((await namespaces.update('ns', { a: '', c: '3' }, ['labels.a', 'labels.c'])).labels, { b: '2', c: '3' });
    t.deepEqual((await namespaces.update('ns', { z: '9' }, [])).labels, { z: '9' });
    t.deepEqual(namespaces.get('absent'), { name: 'absent', labels: {} });
    await t.throwsAsync(namespaces.create('ns', {}), { message: /namespace ns/ });
    await t.throwsAsync(namespaces.create('-bad', {}), { message: /identifier/ });
    snapshots = 2;
    await t.throwsAsync(namespaces.delete('ns'), { message: /must be empty, but it still has snapshots on "overlayfs" snapshotter/ });
    snapshots = 0;
    await namespaces.delete('ns');
    await t.throwsAsync(namespaces.delete('ns'), { instanceOf: TsdError, message: /namespace ns/ });
  }));

test('images: create, filters, field-path updates, validation, delete', (t) =>
  withDb(async (db) => {
    const images = new ImageStore(db);
    await images.create('ns', { name: 'docker.io/library/a:1', labels: { tier: 'x' }, target });
    await images.create('ns', { name: 'b:1', labels: {}, target: { ...target, mediaType: 'application/vnd.oci.image.index.v1+json' } });
    t.deepEqual(images.list('ns', ['labels.tier==x']).map((i) => i.name), ['docker.io/library/a:1']);
    t.deepEqual(images.list('ns', ['target.mediatype~=index']).map((i) => i.name), ['b:1']);
    t.deepEqual(images.list('ns', ['name==b:1', 'labels.tier']).map((i) => i.name).sort(), ['b:1', 'docker.io/library/a:1']);
    t.is(images.list('other', []).length, 0);
    const updated = await images.update('ns', { name: 'b:1', labels: { k: 'v' }, target: { ...target, annotations: { note: 'n' } } }, ['labels.k', 'annotations.note']);
    t.deepEqual(updated.labels, { k: 'v' });
    t.deepEqual(updated.target.annotations, { note: 'n' });
    t.is(updated.target.mediaType, 'application/vnd.oci.image.index.v1+json');
    await t.throwsAsync(images.create('ns', { name: 'b:1', labels: {}, target }), { message: /image "b:1"/ });
    await t.throwsAsync(images.create('ns', { name: 'c', labels: {}, target: { ...target, digest: 'sha256:zz' } }), { message: /target digest/ });
    await t.throwsAsync(images.create('ns', { name: 'c', labels: {}, target: { ...target, mediaType: '' } }), { message: /media type/ });
    await t.throwsAsync(images.update('ns', { name: 'b:1', labels: {}, target }, ['name']), { message: /cannot update "name"/ });
    await images.delete('ns', 'b:1');
    await t.throwsAsync(images.delete('ns', 'b:1'), { instanceOf: TsdError });
  }));

test('leases: resources are validated, de-duplicated and listed', (t) =>
  withDb(async (db) => {
    const leases = new LeaseStore(db);
    await leases.create('ns', 'l1', { gc: 'x' });
    await leases.create('ns', '789338711-_-2M', {}); // ctr's lease ids are not identifiers
    await t.throwsAsync(leases.create('ns', 'a/b', {}), { message: /contain no/ });
    await leases.delete('ns', '789338711-_-2M');
    await leases.addResource('ns', 'l1', { id: DIGEST, type: 'content' });
    await leases.addResource('ns', 'l1', { id: DIGEST, type: 'content' });
    await leases.addResource('ns', 'l1', { id: 'key', type: 'snapshots/overlayfs' });
    t.is(leases.listResources('ns', 'l1').length, 2);
    await leases.deleteResource('ns', 'l1', { id: DIGEST, type: 'content' });
    t.deepEqual(leases.listResources('ns', 'l1'), [{ id: 'key', type: 'snapshots/overlayfs' }]);
    await t.throwsAsync(leases.addResource('ns', 'l1', { id: 'not-a-digest', type: 'content' }), { message: /invalid digest/ });
    await t.throwsAsync(leases.addResource('ns', 'l1', { id: 'v', type: 'volumes' }), { message: /unsupported lease resource type/ });
    await t.throwsAsync(leases.addResource('ns', 'nope', { id: 'k', type: 'ingests' }), { message: /lease "nope" does not exist/ });
    t.deepEqual(leases.list('ns', ['labels.gc==x']).map((l) => l.id), ['l1']);
    await leases.delete('ns', 'l1');
    t.deepEqual(leases.list('ns', []), []);
  }));

test('garbage collection: expired leases hold nothing and go; unexpired ones hold their blobs', (t) =>
  withDb(async (db) => {
    const { GarbageCollector } = await import('../../guest/containerd/metadata/garbage-collector.js');
    const { NamespacedContent } = await import('../../guest/containerd/metadata/namespaced-content.js');
    const { NamespacedSnapshots } = await import('../../guest/containerd/metadata/namespaced-snapshots.js');
    const { LocalContentStore } = await import('../../guest/containerd/content/local-store.js');
    const blobDir = await mkdtemp(join(tmpdir(), 'tsdtest-gc-blobs-'));
    t.teardown(() => rm(blobDir, { recursive: true, force: true }));
    const content = new NamespacedContent(db, await LocalContentStore.open(blobDir));
    const gc = new GarbageCollector(db, content, new NamespacedSnapshots(db, new Map()));
    const leases = new LeaseStore(db);
    await leases.create('ns', 'old', { 'containerd.io/gc.expire': '2000-01-01T00:00:00Z' });
    await leases.create('ns', 'fresh', { 'containerd.io/gc.expire': '2999-01-01T00:00:00Z' });
    const write = async (text: string, lease: string): Promise<string> => {
      const writer = await content.writer('ns', text, {}, lease);
      await writer.write(Buffer.from(text));
      return await writer.commit(0, undefined);
    };
    const old = await write('old bytes', 'old');
    const fresh = await write('fresh bytes', 'fresh');
    const collected = await gc.collect('ns');
    t.deepEqual(collected.content, [old]);
    t.deepEqual(leases.list('ns', []).map((l) => l.id), ['fresh']);
    t.is(content.info('ns', fresh).digest, fresh);
  }));
