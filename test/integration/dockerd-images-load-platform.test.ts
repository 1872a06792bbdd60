// `docker load --platform` (API 1.48) with the real docker CLI against our dockerd (host mode): from
// a two-platform OCI layout archive (as `buildx --output type=oci` writes) only the requested
// platform is loaded and unpacked; a platform the archive lacks is moby's error; a bad platform
// query is a 400 before anything is read.
import test from 'ava';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHostEngine, type HostEngine } from '../helpers/host-engine.js';
import { buildTar, type TestEntry } from '../helpers/tar-builder.js';

let engine: HostEngine;
let archive: string;

const digest = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** An OCI layout holding one index (amd64 and arm64 manifests, one small layer each) named loadplat:latest. */
async function twoPlatformArchive(): Promise<Buffer> {
  const blobs = new Map<string, Buffer>();
  const put = (bytes: Buffer): { digest: string; size: number } => {
    const d = digest(bytes);
    blobs.set(d, bytes);
    return { digest: d, size: bytes.length };
  };
  const manifests = [];
  for (const architecture of ['amd64', 'arm64']) {
    const layer = await buildTar([{ name: 'arch', content: `${architecture}\n` }]);
    const layerRef = put(layer);
    const config = Buffer.from(JSON.stringify({ architecture, os: 'linux', config: { Cmd: ['/arch'] }, rootfs: { type: 'layers', diff_ids: [layerRef.digest] } }));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...put(config) },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layerRef }],
    }));
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...put(manifest), platform: { architecture, os: 'linux' } });
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  const indexRef = put(index);
  const top = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{
    mediaType: 'application/vnd.oci.image.index.v1+json', ...indexRef,
    annotations: { 'io.containerd.image.name': 'docker.io/library/loadplat:latest', 'org.opencontainers.image.ref.name': 'latest' },
  }] };
  const entries: TestEntry[] = [
    { name: 'oci-layout', content: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
    { name: 'index.json', content: JSON.stringify(top) },
    { name: 'blobs', type: 'directory' },
    { name: 'blobs/sha256', type: 'directory' },
    ...[...blobs].map(([d, bytes]) => ({ name: `blobs/sha256/${d.slice(7)}`, content: bytes })),
  ];
  return await buildTar(entries);
}

test.before(async () => {
  engine = await startHostEngine({});
  archive = join(engine.dir, 'two-platforms.tar');
  await writeFile(archive, await twoPlatformArchive());
});

test.after.always(async () => {
  await engine?.stop();
});

test.serial('load --platform linux/arm64 loads and unpacks that platform only', async (t) => {
  const loaded = await engine.docker('load', '--platform', 'linux/arm64', '-i', archive);
  t.is(loaded.code, 0, loaded.stderr);
  t.is(loaded.stdout, 'Loaded image: loadplat:latest\n');
  t.is(await engine.dockerOk('image', 'inspect', '-f', '{{.Architecture}}', 'loadplat'), 'arm64\n');
  const amd64 = await engine.docker('image', 'inspect', '--platform', 'linux/amd64', 'loadplat');
  t.not(amd64.code, 0);
  t.regex(amd64.stderr, /does not provide the specified platform \(linux\/amd64\)/);
  await engine.dockerOk('rmi', 'loadplat');
});

test.serial("a platform the archive lacks is moby's error; without --platform every platform loads", async (t) => {
  const missing = await engine.docker('load', '--platform', 'linux/s390x', '-i', archive);
  t.not(missing.code, 0);
  t.regex(missing.stderr, /image loadplat:latest was loaded, but doesn't provide the requested platform \(\[linux\/s390x\]\)/);
  t.not((await engine.docker('image', 'inspect', 'loadplat')).code, 0, 'nothing of it was loaded');
  await engine.dockerOk('load', '-i', archive);
  t.is(await engine.dockerOk('image', 'inspect', '--platform', 'linux/arm64', '-f', '{{.Architecture}}', 'loadplat'), 'arm64\n');
  t.is(await engine.dockerOk('image', 'inspect', '--platform', 'linux/amd64', '-f', '{{.Architecture}}', 'loadplat'), 'amd64\n');
  await engine.dockerOk('rmi', 'loadplat');
});

test.serial('the platform query: a bad one is a 400; before API 1.48 it is not read', async (t) => {
  const bad = await engine.api('POST', `/v1.48/images/load?platform=${encodeURIComponent('{"os":"linux"}')}`, { body: Buffer.alloc(0), headers: { 'content-type': 'application/x-tar' } });
  t.deepEqual([bad.status, bad.json()], [400, { message: 'both OS and Architecture must be provided' }]);
  const two = await engine.api('POST', `/v1.48/images/load?platform=${encodeURIComponent('{"os":"linux","architecture":"arm64"}')}&platform=${encodeURIComponent('{"os":"linux","architecture":"amd64"}')}`, { body: Buffer.alloc(0) });
  t.is(two.status, 400);
  t.regex(two.json<{ message: string }>().message, /multiple platform parameters are not supported/);
  const old = await engine.api('POST', '/v1.47/images/load?platform=nope', { body: await readFile(archive), headers: { 'content-type': 'application/x-tar' } });
  t.is(old.status, 200, old.text);
  await engine.dockerOk('rmi', 'loadplat');
});
