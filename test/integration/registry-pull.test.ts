import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import { MediaType, type ImageManifest } from '../../guest/api/oci-image-spec.js';
import { LocalContentStore } from '../../guest/containerd/content/local-store.js';
import { pullImage } from '../../guest/containerd/registry/pull.js';
import { RegistryClient } from '../../guest/containerd/registry/registry-client.js';
import type { TransferEvent } from '../../guest/containerd/registry/types.js';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';

let fixtures: FixtureRegistry;
const client = new RegistryClient();

test.before(async () => {
  fixtures = await startFixtureRegistry();
});
test.after.always(async () => {
  client.close();
  await fixtures?.stop();
});

async function withStore<T>(run: (store: LocalContentStore) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-pull-'));
  try {
    return await run(await LocalContentStore.open(dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('pulls busybox by tag: Docker schema2 manifest, config, layer, gc labels', async (t) => {
  await withStore(async (store) => {
    const events: TransferEvent[] = [];
    const image = await pullImage(client, store, `${fixtures.host}/library/busybox:latest`, {
      platform: { os: 'linux', architecture: 'amd64' },
      onEvent: (event) => events.push(event),
    });
    t.is(image.target.digest, fixtures.images.busybox.digest);
    t.is(image.manifest.mediaType, MediaType.dockerManifest);
    t.is(image.config.architecture, 'amd64');
    t.deepEqual(image.config.config?.Cmd, ['sh']);
    t.is(image.layers.length, 1);
    for (const layer of image.layers) t.true(await store.has(layer.digest));
    const manifestInfo = await store.info(image.manifest.digest);
    t.is(manifestInfo.labels['containerd.io/gc.ref.content.config'], image.configDescriptor.digest);
    t.is(manifestInfo.labels['containerd.io/gc.ref.content.l.0'], image.layers[0]?.digest);
    t.is(manifestInfo.labels[`containerd.io/distribution.source.${fixtures.host}`], 'library/busybox');
    const kinds = events.map((e) => e.kind);
    t.is(kinds[0], 'resolved');
    t.true(kinds.includes('blob-start') && kinds.includes('blob-done') && kinds.at(-1) === 'manifest-done');
    t.deepEqual(await store.listStatuses(), [], 'no ingest left behind');
  });
});

test('pulls busybox by digest, and a second pull finds every blob present', async (t) => {
  await withStore(async (store) => {
    const ref = `${fixtures.host}/library/busybox@${fixtures.images.busybox.digest}`;
    const first = await pullImage(client, store, ref, { platform: { os: 'linux', architecture: 'amd64' } });
    t.is(first.manifest.digest, fixtures.images.busybox.digest);
    const events: TransferEvent[] = [];
    await pullImage(client, store, ref, { platform: { os: 'linux', architecture: 'amd64' }, onEvent: (e) => events.push(e) });
    t.true(events.some((e) => e.kind === 'blob-exists'));
    t.false(events.some((e) => e.kind === 'blob-start'));
  });
});

test('pulls both platforms of the multi-arch OCI index (arm64 as aarch64 and as arm64/v8)', async (t) => {
  await withStore(async (store) => {
    const ref = `${fixtures.host}/library/busybox-multi:latest`;
    const amd64 = await pullImage(client, store, ref, { platform: { os: 'linux', architecture: 'x86_64' } });
    t.is(amd64.target.digest, fixtures.images.multiArch.digest);
    t.is(amd64.target.mediaType, MediaType.ociIndex);
    t.is(amd64.manifest.digest, fixtures.images.multiArchAmd64.digest);
    t.is(amd64.config.architecture, 'amd64');
    const arm64 = await pullImage(client, store, ref, { platform: { os: 'linux', architecture: 'aarch64' } });
    t.is(arm64.manifest.digest, fixtures.images.multiArchArm64.digest);
    t.is(arm64.config.architecture, 'arm64');
    const arm64v8 = await pullImage(client, store, ref, { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    t.is(arm64v8.manifest.digest, fixtures.images.multiArchArm64.digest);
    const indexInfo = await store.info(fixtures.images.multiArch.digest);
    t.deepEqual(Object.values(indexInfo.labels).filter((v) => v.startsWith('sha256:')).sort(),
      [fixtures.images.multiArchAmd64.digest, fixtures.images.multiArchArm64.digest].sort());
    // The arm64 layer really is an arm64 binary: its manifest's layer differs from amd64's.
    const amdManifest = JSON.parse((await store.readAll(amd64.manifest.digest)).toString()) as ImageManifest;
    const armManifest = JSON.parse((await store.readAll(arm64.manifest.digest)).toString()) as ImageManifest;
    t.not(amdManifest.layers[0]?.digest, armManifest.layers[0]?.digest);
  });
});

test('pulls both platforms of the Docker manifest list', async (t) => {
  await withStore(async (store) => {
    const ref = `${fixtures.host}/library/busybox-list:latest`;
    const amd64 = await pullImage(client, store, ref, { platform: { os: 'linux', architecture: 'amd64' } });
    t.is(amd64.target.mediaType, MediaType.dockerManifestList);
    t.is(amd64.target.digest, fixtures.images.manifestList.digest);
    t.is(amd64.manifest.digest, fixtures.images.busybox.digest);
    t.is(amd64.manifest.mediaType, MediaType.dockerManifest);
    const arm64 = await pullImage(client, store, ref, { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    t.is(arm64.manifest.digest, fixtures.images.manifestListArm64.digest);
    t.is(arm64.config.variant, 'v8');
  });
});

test('pulls the platform manifest of the index by its digest', async (t) => {
  await withStore(async (store) => {
    const image = await pullImage(client, store, `${fixtures.host}/library/busybox-multi@${fixtures.images.multiArchArm64.digest}`, {
      platform: { os: 'linux', architecture: 'arm64' },
    });
    t.is(image.manifest.mediaType, MediaType.ociManifest);
    t.is(image.config.architecture, 'arm64');
  });
});

test('pulls nginx (Debian minbase + nginx) with a runnable config', async (t) => {
  await withStore(async (store) => {
    const image = await pullImage(client, store, `${fixtures.host}/library/nginx:latest`, { platform: { os: 'linux', architecture: 'amd64' } });
    t.deepEqual(image.config.config?.Cmd, ['nginx', '-g', 'daemon off;']);
    t.deepEqual(Object.keys(image.config.config?.ExposedPorts ?? {}), ['80/tcp']);
    const layer = image.layers[0];
    t.truthy(layer);
    t.true((await store.info(layer?.digest ?? '')).size > 10_000_000);
  });
});

test('a platform the index lacks is not-found naming the available platforms', async (t) => {
  await withStore(async (store) => {
    const error = await t.throwsAsync(
      pullImage(client, store, `${fixtures.host}/library/busybox-multi:latest`, { platform: { os: 'linux', architecture: 's390x' } }),
      { instanceOf: TsdError },
    );
    t.is(error?.code, 'not-found');
    t.regex(error?.message ?? '', /no matching manifest for linux\/s390x.*available platforms: linux\/amd64, linux\/arm64\/v8/);
    t.deepEqual(await store.list(), []);
  });
});

test('a single-platform image for another platform is not-found, and nothing of it stays', async (t) => {
  await withStore(async (store) => {
    const error = await t.throwsAsync(
      pullImage(client, store, `${fixtures.host}/library/busybox:latest`, { platform: { os: 'linux', architecture: 'arm64' } }),
      { instanceOf: TsdError },
    );
    t.is(error?.code, 'not-found');
    t.regex(error?.message ?? '', /no matching manifest for linux\/arm64: .*busybox:latest is for linux\/amd64 only/);
    // Only the (unreferenced) config blob may have been fetched to learn the platform; no manifest.
    const stored = await store.list();
    t.false(stored.some((info) => info.digest === fixtures.images.busybox.digest));
    t.deepEqual(await store.listStatuses(), []);
  });
});

test('an unknown image or tag is not-found', async (t) => {
  await withStore(async (store) => {
    for (const ref of [`${fixtures.host}/library/nope:latest`, `${fixtures.host}/library/busybox:nope`]) {
      const error = await t.throwsAsync(pullImage(client, store, ref), { instanceOf: TsdError });
      t.is(error?.code, 'not-found', ref);
      t.regex(error?.message ?? '', /not found/);
    }
    const unknownDigest = `${fixtures.host}/library/busybox@sha256:${'0'.repeat(64)}`;
    t.is((await t.throwsAsync(pullImage(client, store, unknownDigest), { instanceOf: TsdError }))?.code, 'not-found');
    t.deepEqual(await store.list(), []);
  });
});

test('every fixture pulls by the digest of what its tag points at', async (t) => {
  await withStore(async (store) => {
    const cases = [
      ['library/busybox', fixtures.images.busybox.digest, fixtures.images.busybox.digest],
      ['library/nginx', fixtures.images.nginx.digest, fixtures.images.nginx.digest],
      ['library/busybox-multi', fixtures.images.multiArch.digest, fixtures.images.multiArchAmd64.digest],
    ] as const;
    for (const [repository, digest, manifest] of cases) {
      const image = await pullImage(client, store, `${fixtures.host}/${repository}@${digest}`, { platform: { os: 'linux', architecture: 'amd64' } });
      t.is(image.target.digest, digest, repository);
      t.is(image.manifest.digest, manifest, repository);
      t.is(image.reference.tag, undefined);
    }
  });
});
