// The image list's Manifests (API 1.47+, `?manifests=1`, what `docker image ls --tree` asks for)
// and Descriptor (1.48+) on the host-mode engine: a multi-platform index pulled for amd64 lists
// both platforms, only amd64 available with its content, unpacked size and the container using
// it; older API versions do not get the fields.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { FIXTURE_REPOSITORIES, type FixtureRegistry } from '../fixtures/fixture-images.js';
import type { HostEngine } from '../helpers/host-engine.js';
import { startImageEngine, type ImageEngine } from '../helpers/image-engine.js';

let setup: ImageEngine;
let fixtures: FixtureRegistry;
let engine: HostEngine;
let name: string;

test.before(async () => {
  setup = await startImageEngine();
  ({ fixtures, engine } = setup);
  name = `${fixtures.host}/${FIXTURE_REPOSITORIES.multiArch}:latest`;
  await engine.dockerOk('pull', '--platform', 'linux/amd64', name);
});

test.after.always(async () => {
  await setup?.stop();
});

interface ManifestSummary {
  ID: string;
  Descriptor: { digest: string; mediaType: string; size: number; platform?: object };
  Available: boolean;
  Size: { Content: number; Total: number };
  Kind: string;
  ImageData?: { Platform: { architecture: string; os: string; variant?: string }; Size: { Unpacked: number }; Containers: string[] | null };
}

interface Summary {
  RepoTags: string[];
  Descriptor?: { digest: string; mediaType: string; size: number };
  Manifests?: ManifestSummary[];
}

async function list(version: string, query = ''): Promise<Summary> {
  const response = await engine.api('GET', `/v${version}/images/json${query}`);
  t0(response.status === 200, response.text);
  return response.json<Summary[]>().find((image) => image.RepoTags.includes(name))!;
}

function t0(ok: boolean, text: string): void {
  if (!ok) throw new Error(text);
}

test.serial('manifests=1 lists every platform of the index; only the pulled one is available, with sizes and its container', async (t) => {
  const container = (await engine.dockerOk('create', '--platform', 'linux/amd64', name)).trim();
  const image = await list('1.51', '?manifests=1');
  t.deepEqual(image.Descriptor, { mediaType: 'application/vnd.oci.image.index.v1+json', digest: fixtures.images.multiArch.digest, size: fixtures.images.multiArch.size });
  t.is(image.Manifests?.length, 2);
  const [amd64, arm64] = image.Manifests!;
  t.is(amd64!.ID, fixtures.images.multiArchAmd64.digest);
  t.is(amd64!.Kind, 'image');
  t.true(amd64!.Available);
  t.deepEqual(amd64!.ImageData!.Platform, { architecture: 'amd64', os: 'linux' });
  t.deepEqual(amd64!.ImageData!.Containers, [container]);
  t.true(amd64!.ImageData!.Size.Unpacked > 0);
  // Content: the manifest, its config and its layer, as in the registry.
  const manifest = (await (await fetch(`http://${fixtures.host}/v2/${FIXTURE_REPOSITORIES.multiArch}/manifests/${amd64!.ID}`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  })).json()) as { config: { size: number }; layers: Array<{ size: number }> };
  t.is(amd64!.Size.Content, fixtures.images.multiArchAmd64.size + manifest.config.size + manifest.layers.reduce((sum, l) => sum + l.size, 0));
  t.is(amd64!.Size.Total, amd64!.Size.Content + amd64!.ImageData!.Size.Unpacked);

  t.is(arm64!.ID, fixtures.images.multiArchArm64.digest);
  t.false(arm64!.Available);
  t.is(arm64!.Kind, 'image');
  t.deepEqual(arm64!.ImageData!.Platform, { architecture: 'arm64', os: 'linux', variant: 'v8' });
  t.deepEqual(arm64!.Size, { Content: 0, Total: 0 });
  t.is(arm64!.ImageData!.Containers, null);

  // docker image ls --tree (CLI 28 sends manifests=1) shows the image and its available platform in use.
  const tree = await engine.dockerOk('image', 'ls', '--tree');
  t.regex(tree, /library\/busy/);
  t.regex(tree, new RegExp(`├─ linux/amd64 +${amd64!.ID.slice(7, 19)} .* U `));
  t.regex(tree, new RegExp(`└─ linux/arm64/v8 +${arm64!.ID.slice(7, 19)} +0B +0B`));
  await engine.dockerOk('rm', container);
});

test.serial('API versions: Manifests from 1.47 on request only, Descriptor from 1.48; a single manifest image lists itself', async (t) => {
  t.is((await list('1.46', '?manifests=1')).Manifests, undefined);
  const v47 = await list('1.47', '?manifests=1');
  t.is(v47.Manifests?.length, 2);
  t.is(v47.Descriptor, undefined);
  t.is((await list('1.51')).Manifests, undefined);
  // Containers counts users from 1.51 on; before, it is always -1.
  const user = (await engine.dockerOk('create', name)).trim();
  t.is((await list('1.51') as Summary & { Containers: number }).Containers, 1);
  t.is((await list('1.50') as Summary & { Containers: number }).Containers, -1);
  await engine.dockerOk('rm', user);
  const bad = await engine.api('GET', '/v1.51/images/json?manifests=maybe');
  t.is(bad.status, 400);

  // (busybox has the same config, so the same image ID, as the index's amd64 manifest: one name at a time.)
  await engine.dockerOk('rmi', name);
  await engine.dockerOk('pull', 'busybox');
  const response = await engine.api('GET', '/v1.51/images/json?manifests=1');
  const busybox = response.json<Summary[]>().find((image) => image.RepoTags.includes('busybox:latest'))!;
  t.deepEqual(busybox.Manifests?.map((m) => [m.ID, m.Kind, m.Available, m.ImageData?.Platform]), [
    [fixtures.images.busybox.digest, 'image', true, { architecture: 'amd64', os: 'linux' }],
  ]);
  // Inspect takes manifests=1 from 1.48.
  const inspect = await engine.api('GET', '/v1.51/images/busybox/json?manifests=1');
  t.is(inspect.json<{ Manifests: ManifestSummary[] }>().Manifests[0]!.ID, fixtures.images.busybox.digest);
  t.is((await engine.api('GET', '/v1.47/images/busybox/json?manifests=1')).json<{ Manifests?: unknown }>().Manifests, undefined);
});

test.serial('inspect and history take a platform (API 1.49/1.48): the manifest for exactly it, dockerd errors otherwise', async (t) => {
  await engine.dockerOk('pull', '--platform', 'linux/arm64', name);
  await engine.dockerOk('pull', '--platform', 'linux/amd64', name);
  const arch = (platform: string): Promise<string> => engine.dockerOk('image', 'inspect', '--platform', platform, '--format', '{{.Architecture}} {{.Variant}} {{len .RootFS.Layers}}', name);
  t.is((await arch('linux/arm64')).trim(), 'arm64 v8 1');
  t.is((await arch('linux/arm64/v8')).trim(), 'arm64 v8 1');
  t.is((await arch('linux/amd64')).trim(), 'amd64  1');
  const arm64Layer = (await engine.dockerOk('image', 'inspect', '--platform', 'linux/arm64', '--format', '{{index .RootFS.Layers 0}}', name)).trim();
  const amd64Layer = (await engine.dockerOk('image', 'inspect', '--platform', 'linux/amd64', '--format', '{{index .RootFS.Layers 0}}', name)).trim();
  t.not(arm64Layer, amd64Layer);
  const history = await engine.docker('history', '--platform', 'linux/arm64', name);
  t.is(history.code, 0, history.stderr);

  const missing = await engine.docker('image', 'inspect', '--platform', 'linux/s390x', name);
  t.not(missing.code, 0);
  t.regex(missing.stderr, new RegExp(`image with reference ${name.replace(/[.]/g, '\\.')} was found but does not provide the specified platform \\(linux/s390x\\)`));
  const path = `/v1.51/images/${name}/json`;
  const bad = await engine.api('GET', `${path}?platform=${encodeURIComponent('{"os":"linux"}')}`);
  t.deepEqual([bad.status, bad.json()], [400, { message: 'both OS and Architecture must be provided' }]);
  const garbage = await engine.api('GET', `${path}?platform=nope`);
  t.is(garbage.status, 400);
  t.regex(garbage.json<{ message: string }>().message, /^failed to parse platform: /);
  const both = await engine.api('GET', `${path}?manifests=1&platform=${encodeURIComponent('{"os":"linux","architecture":"amd64"}')}`);
  t.deepEqual([both.status, both.json()], [400, { message: 'conflicting options: manifests and platform options cannot both be set' }]);
  // Before 1.49 the parameter is not read.
  t.is((await engine.api('GET', `/v1.48/images/${name}/json?platform=nope`)).status, 200);
});

test.serial('save takes a platform (API 1.48): the archive holds that platform manifest only, and loads back', async (t) => {
  const archive = await engine.dockerWith({}, 'save', '--platform', 'linux/arm64', '-o', `${engine.dir}/arm64.tar`, name);
  t.is(archive.code, 0, archive.stderr);
  const index = JSON.parse(execFileSync('tar', ['-xOf', `${engine.dir}/arm64.tar`, 'index.json']).toString()) as { manifests: Array<{ digest: string }> };
  t.deepEqual(index.manifests.map((m) => m.digest), [fixtures.images.multiArchArm64.digest]);
  const entries = execFileSync('tar', ['-tf', `${engine.dir}/arm64.tar`]).toString();
  t.false(entries.includes(fixtures.images.multiArchAmd64.digest.slice(7)), 'the amd64 manifest is not in the archive');
  await engine.dockerOk('rmi', name);
  const loaded = await engine.dockerWith({}, 'load', '-i', `${engine.dir}/arm64.tar`);
  t.is(loaded.code, 0, loaded.stderr);
  t.regex(loaded.stdout, new RegExp(`Loaded image: ${name.replace(/[.]/g, '\\.')}`));
  t.is((await engine.dockerOk('image', 'inspect', '--format', '{{.Architecture}}', name)).trim(), 'arm64');
  const missing = await engine.docker('save', '--platform', 'linux/s390x', '-o', `${engine.dir}/none.tar`, name);
  t.not(missing.code, 0);
  t.regex(missing.stderr, /does not provide the specified platform \(linux\/s390x\)/);
});
