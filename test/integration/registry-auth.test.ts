import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import { LocalContentStore } from '../../guest/containerd/content/local-store.js';
import { pullImage } from '../../guest/containerd/registry/pull.js';
import { RegistryClient } from '../../guest/containerd/registry/registry-client.js';
import type { Credentials } from '../../guest/containerd/registry/types.js';
import { startFixtureRegistry } from '../fixtures/fixture-images.js';
import { startTokenService } from '../helpers/token-service.js';

const amd64 = { os: 'linux', architecture: 'amd64' };
const alice: Credentials = { username: 'alice', password: 'wonderland' };

async function withStore<T>(run: (store: LocalContentStore) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-auth-'));
  try {
    return await run(await LocalContentStore.open(dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function pull(host: string, credentials: Credentials | undefined, store: LocalContentStore, repository = 'library/busybox') {
  const client = new RegistryClient({ credentials: () => credentials });
  try {
    return await pullImage(client, store, `${host}/${repository}:latest`, { platform: amd64 });
  } finally {
    client.close();
  }
}

test('token auth, anonymous pull allowed: the Bearer flow runs without credentials', async (t) => {
  const tokens = await startTokenService({ users: { alice: alice.password } });
  const fixtures = await startFixtureRegistry({ auth: tokens.registryAuth, credentials: alice, nginx: false });
  try {
    t.true(tokens.requests.some((r) => r.account === 'alice' && r.scopes.some((s) => s.endsWith(':pull,push'))), 'pushed with credentials');
    tokens.requests.length = 0;
    await withStore(async (store) => {
      const image = await pull(fixtures.host, undefined, store);
      t.is(image.manifest.digest, fixtures.images.busybox.digest);
    });
    t.true(tokens.requests.length >= 1);
    t.true(tokens.requests.every((r) => r.account === undefined && r.service === tokens.service));
    t.deepEqual(tokens.requests[0]?.scopes, ['repository:library/busybox:pull']);
    // Tokens are cached per scope: one pull of several blobs asks the token service once.
    t.is(tokens.requests.length, 1);
  } finally {
    await fixtures.stop();
    await tokens.stop();
  }
});

test('token auth, credentials required: anonymous is refused clearly, alice pulls, bad password fails', async (t) => {
  const tokens = await startTokenService({ users: { alice: alice.password }, anonymousActions: [] });
  const fixtures = await startFixtureRegistry({ auth: tokens.registryAuth, credentials: alice, nginx: false });
  try {
    await withStore(async (store) => {
      const anonymous = await t.throwsAsync(pull(fixtures.host, undefined, store), { instanceOf: TsdError });
      t.is(anonymous?.code, 'invalid-argument');
      t.regex(anonymous?.message ?? '', /unauthorized/);
      const wrong = await t.throwsAsync(pull(fixtures.host, { username: 'alice', password: 'nope' }, store), { instanceOf: TsdError });
      t.regex(wrong?.message ?? '', /unauthorized: token request .* HTTP 401/);
      t.deepEqual(await store.list(), []);
      const image = await pull(fixtures.host, alice, store, 'library/busybox-multi');
      t.is(image.target.digest, fixtures.images.multiArch.digest);
      t.true(tokens.requests.some((r) => r.account === 'alice' && r.scopes.includes('repository:library/busybox-multi:pull')));
    });
  } finally {
    await fixtures.stop();
    await tokens.stop();
  }
});

test('Basic auth: credentials work, none or wrong ones are refused clearly', async (t) => {
  const fixtures = await startFixtureRegistry({ auth: { kind: 'basic', users: { alice: alice.password } }, credentials: alice, nginx: false });
  try {
    await withStore(async (store) => {
      const none = await t.throwsAsync(pull(fixtures.host, undefined, store), { instanceOf: TsdError });
      t.regex(none?.message ?? '', /requires credentials \(Basic auth\) and none are configured/);
      const wrong = await t.throwsAsync(pull(fixtures.host, { username: 'alice', password: 'x' }, store), { instanceOf: TsdError });
      t.is(wrong?.code, 'invalid-argument');
      t.regex(wrong?.message ?? '', /unauthorized/);
      const image = await pull(fixtures.host, alice, store);
      t.is(image.manifest.digest, fixtures.images.busybox.digest);
      // As a docker.io mirror, credentials can be looked up by the registry's domain.
      const seen: Array<[string, string]> = [];
      const mirrorClient = new RegistryClient({
        mirrors: { 'docker.io': [`http://${fixtures.host}`] },
        origins: { 'docker.io': null },
        credentials: (host, registry) => {
          seen.push([host, registry]);
          return registry === 'docker.io' ? alice : undefined;
        },
      });
      try {
        const viaMirror = await pullImage(mirrorClient, store, 'busybox', { platform: amd64 });
        t.is(viaMirror.manifest.digest, fixtures.images.busybox.digest);
        t.deepEqual(seen[0], [fixtures.host, 'docker.io']);
      } finally {
        mirrorClient.close();
      }
    });
  } finally {
    await fixtures.stop();
  }
});
