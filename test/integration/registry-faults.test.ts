import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import type { ImageManifest } from '../../guest/api/oci-image-spec.js';
import { LocalContentStore } from '../../guest/containerd/content/local-store.js';
import { pullImage } from '../../guest/containerd/registry/pull.js';
import { RegistryClient } from '../../guest/containerd/registry/registry-client.js';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { freePort } from '../helpers/free-port.js';
import { startTamperProxy, type Tamper } from '../helpers/tamper-proxy.js';

let fixtures: FixtureRegistry;
let layerDigest: string;
const amd64 = { os: 'linux', architecture: 'amd64' };

test.before(async () => {
  fixtures = await startFixtureRegistry({ nginx: false });
  const response = await fetch(`http://${fixtures.host}/v2/library/busybox/manifests/${fixtures.images.busybox.digest}`, {
    headers: { accept: fixtures.images.busybox.mediaType },
  });
  layerDigest = ((await response.json()) as ImageManifest).layers[0]?.digest ?? '';
});
test.after.always(async () => {
  await fixtures?.stop();
});

async function withStore<T>(run: (store: LocalContentStore) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-faults-'));
  try {
    return await run(await LocalContentStore.open(dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Pulls busybox through a tampering proxy; `decide` sees only GETs of the layer blob. */
async function pullThrough(store: LocalContentStore, onLayer: (count: number) => Tamper, other: Tamper = { kind: 'pass' }) {
  let count = 0;
  const proxy = await startTamperProxy(fixtures.host, (req) => {
    if (req.method === 'GET' && req.url?.endsWith(`/blobs/${layerDigest}`)) return onLayer(count++);
    return other;
  });
  const client = new RegistryClient({ retry: { baseDelayMs: 10 } });
  try {
    const result = await pullImage(client, store, `${proxy.host}/library/busybox:latest`, { platform: amd64 }).then(
      (image) => ({ image, error: undefined }),
      (error: unknown) => ({ image: undefined, error: error as TsdError }),
    );
    return { ...result, seen: proxy.seen };
  } finally {
    client.close();
    await proxy.stop();
  }
}

async function assertNothingCommitted(t: import('ava').ExecutionContext, store: LocalContentStore): Promise<void> {
  t.false(await store.has(layerDigest), 'the bad layer is not in the store');
  t.false(await store.has(fixtures.images.busybox.digest), 'no manifest registered');
  t.deepEqual(await store.listStatuses(), [], 'no ingest left behind');
}

test('a blob whose digest does not match is refused with a clear error and nothing committed', async (t) => {
  await withStore(async (store) => {
    const { error } = await pullThrough(store, () => ({ kind: 'corrupt' }));
    t.true(error instanceof TsdError);
    t.is(error?.code, 'invalid-argument');
    t.regex(error?.message ?? '', new RegExp(`blob ${layerDigest}.*content has digest sha256:[a-f0-9]{64}, expected ${layerDigest}`));
    await assertNothingCommitted(t, store);
  });
});

test('a truncated layer is refused after bounded retries, nothing committed', async (t) => {
  await withStore(async (store) => {
    const { error, seen } = await pullThrough(store, () => ({ kind: 'truncate', bytes: 1000 }));
    t.is(error?.code, 'invalid-argument');
    t.regex(error?.message ?? '', /truncated: received \d+ of \d+ bytes/);
    t.true(seen.filter((s) => s.path.endsWith(layerDigest)).length <= 3, 'bounded attempts');
    await assertNothingCommitted(t, store);
  });
});

test('a connection cut mid-layer resumes with a Range request and completes', async (t) => {
  await withStore(async (store) => {
    const { image, error, seen } = await pullThrough(store, (count) => (count === 0 ? { kind: 'cut', bytes: 300_000 } : { kind: 'pass' }));
    t.is(error, undefined);
    t.truthy(image);
    t.true(await store.has(layerDigest));
    const layerRequests = seen.filter((s) => s.path.endsWith(layerDigest));
    t.is(layerRequests.length, 2);
    t.regex(layerRequests[1]?.range ?? '', /^bytes=\d+-$/);
    t.not(layerRequests[1]?.range, 'bytes=0-');
  });
});

test('5xx answers are retried with backoff, then succeed', async (t) => {
  await withStore(async (store) => {
    let manifestHits = 0;
    const proxy = await startTamperProxy(fixtures.host, (req) =>
      req.url?.includes('/manifests/') && manifestHits++ < 2 ? { kind: 'status', status: 503 } : { kind: 'pass' },
    );
    const client = new RegistryClient({ retry: { baseDelayMs: 10 } });
    try {
      const image = await pullImage(client, store, `${proxy.host}/library/busybox:latest`, { platform: amd64 });
      t.is(image.manifest.digest, fixtures.images.busybox.digest);
      t.true(manifestHits >= 3);
    } finally {
      client.close();
      await proxy.stop();
    }
  });
});

test('a registry that keeps failing is unavailable after bounded attempts', async (t) => {
  await withStore(async (store) => {
    const proxy = await startTamperProxy(fixtures.host, () => ({ kind: 'status', status: 503 }));
    const client = new RegistryClient({ retry: { attempts: 3, baseDelayMs: 10 } });
    try {
      const error = await t.throwsAsync(pullImage(client, store, `${proxy.host}/library/busybox:latest`), { instanceOf: TsdError });
      t.is(error?.code, 'unavailable');
      t.is(proxy.seen.length, 3);
    } finally {
      client.close();
      await proxy.stop();
    }
  });
});

test('docker.io through mirrors only: a dead mirror is skipped, the origin is never tried', async (t) => {
  await withStore(async (store) => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const client = new RegistryClient({
      mirrors: { 'docker.io': [dead, `http://${fixtures.host}`] },
      origins: { 'docker.io': null },
      retry: { attempts: 1 },
    });
    try {
      const image = await pullImage(client, store, 'busybox', { platform: amd64 });
      t.is(image.reference.domain, 'docker.io');
      t.is(image.endpoint.baseUrl, `http://${fixtures.host}`);
      t.is(image.manifest.digest, fixtures.images.busybox.digest);
      t.is((await store.info(image.manifest.digest)).labels['containerd.io/distribution.source.docker.io'], 'library/busybox');
    } finally {
      client.close();
    }
  });
});

test('mirrors only, all failing: the error names every mirror; no mirrors and no origin is unavailable', async (t) => {
  await withStore(async (store) => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const client = new RegistryClient({ mirrors: { 'docker.io': [dead, `http://${fixtures.host}`] }, origins: { 'docker.io': null }, retry: { attempts: 1 } });
    try {
      const error = await t.throwsAsync(pullImage(client, store, 'no-such-image'), { instanceOf: TsdError });
      t.regex(error?.message ?? '', new RegExp(`mirror ${dead}.*mirror http://${fixtures.host}.*not found`));
    } finally {
      client.close();
    }
    const none = new RegistryClient({ origins: { 'docker.io': null } });
    const error = await t.throwsAsync(pullImage(none, store, 'busybox'), { instanceOf: TsdError });
    t.is(error?.code, 'unavailable');
    t.regex(error?.message ?? '', /origin is disabled and it has no mirrors/);
    none.close();
  });
});

test('kill -9 in the middle of a pull leaves no manifest; the next pull resumes the layer with Range and completes', async (t) => {
  await withStore(async (store) => {
    let layerGets = 0;
    const proxy = await startTamperProxy(fixtures.host, (req) =>
      req.method === 'GET' && req.url?.endsWith(`/blobs/${layerDigest}`) && layerGets++ === 0 ? { kind: 'stall', bytes: 700_000 } : { kind: 'pass' },
    );
    try {
      const script = fileURLToPath(new URL('../helpers/pull-child.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx/esm', script, store.layout.root, `${proxy.host}/library/busybox:latest`], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      // The layer stalls after 700 kB: wait for its first progress event, then kill -9.
      await new Promise<void>((resolve, reject) => {
        let buffered = '';
        child.on('exit', (code) => reject(new Error(`pull child exited early (${code})`)));
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          if (buffered.split('\n').some((line) => line.includes('"blob-progress"') && line.includes(layerDigest))) resolve();
        });
      });
      child.removeAllListeners('exit');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;

      const reopened = await LocalContentStore.open(store.layout.root);
      t.false(await reopened.has(fixtures.images.busybox.digest), 'no manifest after the kill');
      t.false(await reopened.has(layerDigest));
      const [ingest] = await reopened.listStatuses();
      t.is(ingest?.expected, layerDigest);
      t.true((ingest?.offset ?? 0) >= 512 * 1024);

      const client = new RegistryClient();
      try {
        const image = await pullImage(client, reopened, `${proxy.host}/library/busybox:latest`, { platform: amd64 });
        t.is(image.manifest.digest, fixtures.images.busybox.digest);
      } finally {
        client.close();
      }
      t.true(await reopened.has(layerDigest));
      t.deepEqual(await reopened.listStatuses(), []);
      const resumed = proxy.seen.filter((s) => s.path.endsWith(layerDigest)).at(-1);
      t.is(resumed?.range, `bytes=${ingest?.offset}-`);
    } finally {
      await proxy.stop();
    }
  });
});
