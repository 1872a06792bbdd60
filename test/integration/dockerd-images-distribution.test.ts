// GET /distribution/{name}/json on the host-mode engine against local registries: the descriptor
// and platforms of a schema2 manifest (from its config), an OCI index and a Docker manifest list,
// by tag and by digest, through the docker.io mirror; credentials from X-Registry-Auth; and the
// registry's errors with their status (404 manifest/name unknown, 401), 400 for bad names.
// (docker CLI 28 calls this endpoint only for swarm services, so raw requests drive it here.)
import test from 'ava';
import { startFixtureRegistry, FIXTURE_REPOSITORIES, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { startHostEngine, type HostEngine } from '../helpers/host-engine.js';

let fixtures: FixtureRegistry;
let locked: FixtureRegistry;
let engine: HostEngine;

test.before(async () => {
  fixtures = await startFixtureRegistry({ nginx: false });
  locked = await startFixtureRegistry({ nginx: false, auth: { kind: 'basic', users: { alice: 'wonderland' } }, credentials: { username: 'alice', password: 'wonderland' } });
  engine = await startHostEngine({
    daemonJson: { 'registry-mirrors': [`http://${fixtures.host}`], 'insecure-registries': [fixtures.host, locked.host], 'docker-hub-origin': false },
  });
});

test.after.always(async () => {
  await engine?.stop();
  await fixtures?.stop();
  await locked?.stop();
});

interface Inspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: Array<{ architecture: string; os: string; variant?: string }> | null;
}

async function inspect(name: string, headers?: Record<string, string>): Promise<{ status: number; body: Inspect & { message?: string } }> {
  const response = await engine.api('GET', `/v1.51/distribution/${name}/json`, { headers });
  return { status: response.status, body: response.json() };
}

test('a schema2 manifest by short name through the mirror: descriptor, and the platform from its config', async (t) => {
  const { status, body } = await inspect('busybox');
  t.is(status, 200);
  const expected = fixtures.images.busybox;
  t.deepEqual(body.Descriptor, { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: expected.digest, size: expected.size });
  t.deepEqual(body.Platforms, [{ architecture: 'amd64', os: 'linux' }]);
  // The same by digest, on the registry directly.
  const byDigest = await inspect(`${fixtures.host}/${FIXTURE_REPOSITORIES.busybox}@${expected.digest}`);
  t.is(byDigest.status, 200);
  t.deepEqual(byDigest.body, body);
});

test('an OCI index and a Docker manifest list: every entry platform; an OCI manifest names none (as dockerd)', async (t) => {
  const index = await inspect(`${fixtures.host}/${FIXTURE_REPOSITORIES.multiArch}:latest`);
  t.is(index.status, 200);
  t.deepEqual(index.body.Descriptor, { mediaType: 'application/vnd.oci.image.index.v1+json', digest: fixtures.images.multiArch.digest, size: fixtures.images.multiArch.size });
  t.deepEqual(index.body.Platforms, [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux', variant: 'v8' }]);
  const list = await inspect(`${fixtures.host}/${FIXTURE_REPOSITORIES.manifestList}`);
  t.is(list.body.Descriptor.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
  t.is(list.body.Descriptor.digest, fixtures.images.manifestList.digest);
  t.deepEqual(list.body.Platforms, [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux', variant: 'v8' }]);
  const oci = await inspect(`${fixtures.host}/${FIXTURE_REPOSITORIES.multiArch}@${fixtures.images.multiArchAmd64.digest}`);
  t.is(oci.status, 200);
  t.is(oci.body.Descriptor.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  t.is(oci.body.Platforms, null);
});

test('X-Registry-Auth credentials reach a registry that needs them; without them it is a 401', async (t) => {
  const name = `${locked.host}/${FIXTURE_REPOSITORIES.busybox}:latest`;
  const anonymous = await inspect(name);
  t.is(anonymous.status, 401);
  t.regex(anonymous.body.message ?? '', /^unauthorized: /);
  const auth = Buffer.from(JSON.stringify({ username: 'alice', password: 'wonderland', serveraddress: locked.host })).toString('base64url');
  const authed = await inspect(name, { 'X-Registry-Auth': auth });
  t.is(authed.status, 200);
  t.is(authed.body.Descriptor.digest, locked.images.busybox.digest);
  // An X-Registry-Auth that does not decode is ignored (dockerd does the same), so still anonymous.
  t.is((await inspect(name, { 'X-Registry-Auth': '%%%' })).status, 401);
});

test("the registry's errors keep their status and wording; bad names are 400; a full image ID has no manifest", async (t) => {
  const tag = await inspect(`${fixtures.host}/${FIXTURE_REPOSITORIES.busybox}:nope`);
  t.is(tag.status, 404);
  t.is(tag.body.message, 'manifest unknown: manifest unknown');
  // The registry's own answer for a repository it does not have, in distribution's errcode wording.
  const direct = (await (await fetch(`http://${fixtures.host}/v2/no/such-repo/manifests/1`)).json()) as { errors: Array<{ code: string; message: string }> };
  const repo = await inspect(`${fixtures.host}/no/such-repo:1`);
  t.is(repo.status, 404);
  t.is(repo.body.message, `${direct.errors[0]!.code.toLowerCase().replace(/_/g, ' ')}: ${direct.errors[0]!.message}`);
  const bad = await inspect('Not_Valid');
  t.is(bad.status, 400);
  t.regex(bad.body.message ?? '', /invalid reference format/);
  const id = await inspect('a'.repeat(64));
  t.is(id.status, 500);
  t.is(id.body.message, 'no manifest found for full image ID');
});
