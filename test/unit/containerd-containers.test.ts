/**
 * Pure parts of containers and tasks: the container store on a temporary metadata file
 * (validation, field-mask updates, filters, reload) and runtime names -> shim binary names.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import { ContainerStore, type ContainerInput } from '../../guest/containerd/metadata/container-store.js';
import { MetadataDb } from '../../guest/containerd/metadata/metadata-db.js';
import { shimBinaryName } from '../../guest/containerd/runtime/shim-binary.js';

const SPEC = { typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/Spec', value: Buffer.from('{}').toString('base64') };

function input(overrides: Partial<ContainerInput> = {}): ContainerInput {
  return {
    id: 'c1',
    labels: { a: '1' },
    image: 'busybox',
    runtime: { name: 'io.containerd.runc.v2', options: null },
    spec: SPEC,
    snapshotter: 'overlayfs',
    snapshotKey: 'c1',
    extensions: {},
    ...overrides,
  };
}

async function withStore(run: (store: ContainerStore, path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tsdtest-ctrs-'));
  try {
    const path = join(dir, 'meta.json');
    await run(new ContainerStore(await MetadataDb.open(path)), path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const code = (t: { throws: (fn: () => unknown) => unknown }, fn: () => unknown): string => ((t.throws(fn) as TsdError | undefined)?.code ?? '');
const codeAsync = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
  } catch (error) {
    return (error as TsdError).code;
  }
  return 'resolved';
};

test('create validates like containerd; ids are unique per namespace; a reopened store has them', (t) =>
  withStore(async (store, path) => {
    await store.create('default', input());
    await store.create('other', input());
    t.is(await codeAsync(store.create('default', input())), 'already-exists');
    t.is(await codeAsync(store.create('default', input({ id: 'bad id' }))), 'invalid-argument');
    t.is(await codeAsync(store.create('default', input({ id: 'c2', runtime: { name: '', options: null } }))), 'invalid-argument');
    t.is(await codeAsync(store.create('default', input({ id: 'c2', spec: null }))), 'invalid-argument');
    t.is(await codeAsync(store.create('default', input({ id: 'c2', snapshotter: '' }))), 'invalid-argument');
    const reopened = new ContainerStore(await MetadataDb.open(path));
    t.like(reopened.get('default', 'c1'), { id: 'c1', image: 'busybox', snapshotKey: 'c1', labels: { a: '1' } });
    t.is(code(t, () => reopened.get('nowhere', 'c1')), 'not-found');
  }));

test('update: field paths as containerd; no paths replaces the mutable fields; runtime and snapshotter are immutable', (t) =>
  withStore(async (store) => {
    const created = await store.create('default', input());
    const labelled = await store.update('default', input({ labels: { b: '2', a: '' }, image: 'ignored' }), ['labels.b', 'labels.a']);
    t.deepEqual(labelled.labels, { b: '2' });
    t.is(labelled.image, 'busybox');
    t.is(labelled.createdAt, created.createdAt);
    const replaced = await store.update('default', input({ labels: {}, image: 'nginx', snapshotKey: 'other' }), []);
    t.like(replaced, { image: 'nginx', snapshotKey: 'other', labels: {} });
    t.is(await codeAsync(store.update('default', input({ runtime: { name: 'io.containerd.tsd.v2', options: null } }), [])), 'invalid-argument');
    t.is(await codeAsync(store.update('default', input({ snapshotter: 'native' }), [])), 'invalid-argument');
    t.is(await codeAsync(store.update('default', input(), ['runtime'])), 'invalid-argument');
    t.is(await codeAsync(store.update('default', input({ id: 'missing' }), ['labels'])), 'not-found');
    const extended = await store.update('default', input({ extensions: { ext: SPEC } }), ['extensions.ext']);
    t.deepEqual(Object.keys(extended.extensions), ['ext']);
  }));

test('list filters on id, image, runtime.name and labels; delete removes', (t) =>
  withStore(async (store) => {
    await store.create('default', input());
    await store.create('default', input({ id: 'c2', image: 'nginx', labels: { role: 'web' }, runtime: { name: 'io.containerd.tsd.v2', options: null } }));
    const ids = (filters: string[]): string[] => store.list('default', filters).map((c) => c.id);
    t.deepEqual(ids([]), ['c1', 'c2']);
    t.deepEqual(ids(['image==nginx']), ['c2']);
    t.deepEqual(ids(['runtime.name==io.containerd.runc.v2']), ['c1']);
    t.deepEqual(ids(['labels.role==web']), ['c2']);
    t.deepEqual(ids(['id==c1', 'id==c2']), ['c1', 'c2']);
    await store.delete('default', 'c1');
    t.deepEqual(ids([]), ['c2']);
    t.is(await codeAsync(store.delete('default', 'c1')), 'not-found');
  }));

test('runtime names map to shim binaries as containerd maps them', (t) => {
  t.is(shimBinaryName('io.containerd.runc.v2'), 'containerd-shim-runc-v2');
  t.is(shimBinaryName('io.containerd.tsd.v2'), 'containerd-shim-tsd-v2');
  t.is(shimBinaryName('runc.v1'), 'containerd-shim-runc-v1');
  t.is(code(t, () => shimBinaryName('runc')), 'invalid-argument');
  t.is(code(t, () => shimBinaryName('io..v2')), 'invalid-argument');
});
