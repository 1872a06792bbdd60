// Images through the host-mode engine (our containerd + dockerd) with the real docker CLI and raw
// API requests; the fixture registry is the docker.io mirror (Docker Hub is disabled outright).
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { request } from 'node:http';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { TarWriter } from '../../guest/dockerd/images/tar-writer.js';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { startHostEngine, type HostEngine } from '../helpers/host-engine.js';

let fixtures: FixtureRegistry;
let engine: HostEngine;
let scratch: string;
let busyboxConfigDigest: string;
const run = promisify(execFile);

test.before(async () => {
  fixtures = await startFixtureRegistry({ nginx: false });
  engine = await startHostEngine({
    daemonJson: { 'registry-mirrors': [`http://${fixtures.host}`], 'insecure-registries': [fixtures.host], 'docker-hub-origin': false },
  });
  scratch = await mkdtemp(join(tmpdir(), 'tsdtest-images-'));
  const manifest = await registryJson<{ config: { digest: string } }>(`/v2/library/busybox/manifests/${fixtures.images.busybox.digest}`);
  busyboxConfigDigest = manifest.config.digest;
});

test.after.always(async () => {
  await engine?.stop();
  await fixtures?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function registryJson<T>(path: string): Promise<T> {
  const response = await fetch(`http://${fixtures.host}${path}`, {
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' },
  });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
  return (await response.json()) as T;
}

/** `ctr` against the engine's containerd, namespace moby: what containerd itself holds. */
function ctr(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/ctr', ['--address', join(engine.dir, 'engine', 'containerd.sock'), '--namespace', 'moby', ...args]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`ctr ${args.join(' ')}: ${err}`))));
  });
}

interface Inspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: string;
  Config: { Cmd: string[]; Env: string[] };
  RootFS: { Type: string; Layers: string[] };
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
}

async function inspect(name: string): Promise<Inspect> {
  return (JSON.parse(await engine.dockerOk('image', 'inspect', name)) as Inspect[])[0]!;
}

test.serial('docker pull of a short name goes through the mirror, unpacks into snapshots and registers the image in containerd', async (t) => {
  const first = await engine.docker('pull', 'busybox');
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /latest: Pulling from library\/busybox/);
  t.regex(first.stdout, new RegExp(`Digest: ${fixtures.images.busybox.digest}`));
  t.regex(first.stdout, /Status: Downloaded newer image for busybox:latest/);
  t.regex(first.stdout, /docker\.io\/library\/busybox:latest/);
  const again = await engine.docker('pull', 'busybox');
  t.regex(again.stdout, /Status: Image is up to date for busybox:latest/);

  const image = await inspect('busybox');
  // containerd holds the name, the manifest and the unpacked layer under its chain ID.
  t.regex(await ctr('images', 'ls', '-q'), /^docker\.io\/library\/busybox:latest$/m);
  const snapshots = await ctr('snapshots', '--snapshotter', 'overlayfs', 'ls');
  t.regex(snapshots, new RegExp(`${image.RootFS.Layers[0]!.replace('sha256:', 'sha256:')}\\s+Committed`));
  const listed = (await engine.dockerOk('images', '--format', '{{json .}}')).trim().split('\n').map((l) => JSON.parse(l) as { Repository: string; Tag: string; ID: string });
  t.deepEqual(listed.map((i) => `${i.Repository}:${i.Tag}`), ['busybox:latest']);
  t.is(listed[0]!.ID, busyboxConfigDigest.slice('sha256:'.length, 'sha256:'.length + 12));
});

test.serial('docker image inspect has Docker\'s shape with real values', async (t) => {
  const image = await inspect('busybox:latest');
  t.is(image.Id, busyboxConfigDigest);
  t.deepEqual(image.RepoTags, ['busybox:latest']);
  t.deepEqual(image.RepoDigests, [`busybox@${fixtures.images.busybox.digest}`]);
  t.is(image.Architecture, 'amd64');
  t.is(image.Os, 'linux');
  t.deepEqual(image.Config.Cmd, ['sh']);
  t.is(image.RootFS.Type, 'layers');
  t.is(image.RootFS.Layers.length, 1);
  t.true(image.Size > 1_000_000, `size ${image.Size}`);
  t.false(Number.isNaN(Date.parse(image.Created)));
  // The same through the raw API, by ID prefix and by digest reference.
  const byId = await engine.api('GET', `/v1.51/images/${busyboxConfigDigest.slice(7, 19)}/json`);
  t.is(byId.status, 200);
  t.is(byId.json<Inspect>().Id, busyboxConfigDigest);
  const byDigest = await engine.api('GET', `/images/busybox@${fixtures.images.busybox.digest}/json`);
  t.is(byDigest.json<Inspect>().Id, busyboxConfigDigest);
});

test.serial('docker history lists the config history with the layer size', async (t) => {
  const rows = (await engine.dockerOk('history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}', 'busybox')).trim().split('\n');
  t.is(rows.length, 1);
  const [id, createdBy, size] = rows[0]!.split('|');
  t.is(id, busyboxConfigDigest);
  t.is(createdBy, 'tsd test fixture');
  t.regex(size!, /MB$/);
});

test.serial('tag adds a name to the same image; rmi of one name only untags; rmi by ID needs force', async (t) => {
  await engine.dockerOk('tag', 'busybox', 'h3/tagged:v1');
  const both = await inspect('h3/tagged:v1');
  t.is(both.Id, busyboxConfigDigest);
  t.deepEqual(both.RepoTags, ['busybox:latest', 'h3/tagged:v1']);
  const byId = await engine.docker('rmi', busyboxConfigDigest.slice(7, 19));
  t.not(byId.code, 0);
  t.regex(byId.stderr, /conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is referenced in multiple repositories/);
  const untag = await engine.dockerOk('rmi', 'h3/tagged:v1');
  t.is(untag.trim(), 'Untagged: h3/tagged:v1');
  t.deepEqual((await inspect('busybox')).RepoTags, ['busybox:latest']);
  const missing = await engine.docker('image', 'inspect', 'h3/tagged:v1');
  t.not(missing.code, 0);
  t.regex(missing.stderr, /No such image: h3\/tagged:v1/);
  // The tag may come inside `repo`; removing `repo@digest` untags that repository only.
  const tagged = await engine.api('POST', '/images/busybox/tag?repo=h3/inrepo:7');
  t.is(tagged.status, 201);
  t.deepEqual((await inspect('busybox')).RepoTags, ['busybox:latest', 'h3/inrepo:7']);
  const byDigest = await engine.api('DELETE', `/images/h3/inrepo@${fixtures.images.busybox.digest}`);
  t.is(byDigest.status, 200);
  t.deepEqual(byDigest.json(), [{ Untagged: 'h3/inrepo:7' }]);
  t.deepEqual((await inspect('busybox')).RepoTags, ['busybox:latest']);
});

test.serial('docker save | docker load round trip keeps the ID and the repo digest', async (t) => {
  const archive = join(scratch, 'busybox.tar');
  await engine.dockerOk('save', '-o', archive, 'busybox');
  const removed = await engine.dockerOk('rmi', 'busybox');
  t.regex(removed, /Untagged: busybox:latest/);
  t.regex(removed, new RegExp(`Deleted: ${busyboxConfigDigest}`));
  t.is((await ctr('images', 'ls', '-q')).trim(), '');
  // Deleting the last name released the content and the snapshots in containerd.
  t.is((await ctr('content', 'ls', '-q')).trim(), '');
  t.is((await ctr('snapshots', '--snapshotter', 'overlayfs', 'ls')).trim().split('\n').length, 1);
  const loaded = await engine.dockerWith({ input: await readFile(archive) }, 'load');
  t.is(loaded.code, 0, loaded.stderr);
  t.regex(loaded.stdout, /Loaded image: busybox:latest/);
  const image = await inspect('busybox');
  t.is(image.Id, busyboxConfigDigest);
  t.deepEqual(image.RepoDigests, [`busybox@${fixtures.images.busybox.digest}`]);
});

test.serial('a plain OCI image layout (no manifest.json) loads, named from its annotations', async (t) => {
  const layout = join(scratch, 'oci');
  await mkdir(layout);
  await engine.dockerOk('save', '-o', join(scratch, 'for-oci.tar'), 'busybox');
  await run('tar', ['-xf', join(scratch, 'for-oci.tar'), '-C', layout]);
  await rm(join(layout, 'manifest.json'));
  await rm(join(layout, 'repositories'));
  await run('tar', ['-cf', join(scratch, 'oci.tar'), '-C', layout, '.']);
  await engine.dockerOk('rmi', 'busybox');
  const loaded = await engine.dockerWith({ input: await readFile(join(scratch, 'oci.tar')) }, 'load');
  t.is(loaded.code, 0, loaded.stderr);
  t.regex(loaded.stdout, /Loaded image: busybox:latest/);
  t.is((await inspect('busybox')).Id, busyboxConfigDigest);
});

test.serial('docker push to the local registry uploads the image under the new name', async (t) => {
  const target = `${fixtures.host}/h3/pushed:v1`;
  await engine.dockerOk('tag', 'busybox', target);
  const pushed = await engine.docker('push', target);
  t.is(pushed.code, 0, pushed.stderr);
  t.regex(pushed.stdout, new RegExp(`The push refers to repository \\[${fixtures.host.replace(/\./g, '\\.')}/h3/pushed\\]`));
  t.regex(pushed.stdout, new RegExp(`v1: digest: ${fixtures.images.busybox.digest} size: \\d+`));
  const tags = await registryJson<{ tags: string[] }>('/v2/h3/pushed/tags/list');
  t.deepEqual(tags.tags, ['v1']);
  const manifest = await registryJson<{ config: { digest: string } }>('/v2/h3/pushed/manifests/v1');
  t.is(manifest.config.digest, busyboxConfigDigest);
  await engine.dockerOk('rmi', target);
});

test.serial('--platform picks the arm64 manifest of a multi-arch index', async (t) => {
  const pulled = await engine.docker('pull', '--platform', 'linux/arm64', 'busybox-multi');
  t.is(pulled.code, 0, pulled.stderr);
  const image = await inspect('busybox-multi');
  t.is(image.Architecture, 'arm64');
  t.is(image.Variant, 'v8');
  t.deepEqual(image.RepoDigests, [`busybox-multi@${fixtures.images.multiArch.digest}`]);
});

test.serial('a name moved to another image leaves the old one dangling; image prune removes it', async (t) => {
  const old = await inspect('busybox-multi');
  await engine.dockerOk('tag', 'busybox', 'busybox-multi');
  const dangling = (await engine.dockerOk('images', '--filter', 'dangling=true', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}')).trim();
  t.is(dangling, `${old.Id.slice(7, 19)} <none>:<none>`);
  const tagged = (await engine.dockerOk('images', '--filter', 'dangling=false', '--format', '{{.Repository}}:{{.Tag}}')).trim().split('\n').sort();
  t.deepEqual(tagged, ['busybox-multi:latest', 'busybox:latest']);
  const pruned = await engine.dockerOk('image', 'prune', '-f');
  t.regex(pruned, new RegExp(`deleted: ${old.Id}`));
  t.is((await engine.dockerOk('images', '-q', '--filter', 'dangling=true')).trim(), '');
  await engine.dockerOk('rmi', 'busybox-multi');
});

test.serial('docker pull --all-tags pulls every tag of the repository', async (t) => {
  const pulled = await engine.docker('pull', '--all-tags', `${fixtures.host}/h3/pushed`);
  t.is(pulled.code, 0, pulled.stderr);
  t.regex(pulled.stdout, /v1: Pulling from h3\/pushed/);
  const tags = (await engine.dockerOk('images', '--format', '{{.Repository}}:{{.Tag}}', `${fixtures.host}/h3/pushed`)).trim();
  t.is(tags, `${fixtures.host}/h3/pushed:v1`);
  await engine.dockerOk('rmi', `${fixtures.host}/h3/pushed:v1`);
});

test.serial('reference and label filters, and bad filters', async (t) => {
  const byRef = (await engine.dockerOk('images', '--filter', 'reference=busy*', '--format', '{{.Repository}}')).trim();
  t.is(byRef, 'busybox');
  const none = (await engine.dockerOk('images', '--filter', 'label=nope', '-q')).trim();
  t.is(none, '');
  const bad = await engine.api('GET', `/images/json?filters=${encodeURIComponent('{"bogus":["x"]}')}`);
  t.is(bad.status, 400);
  t.deepEqual(bad.json(), { message: "invalid filter 'bogus'" });
});

test.serial('a client dropping a pull mid-stream leaves the engine serving; the next pull completes', async (t) => {
  await new Promise<void>((resolve, reject) => {
    const req = request({ socketPath: engine.socketPath, method: 'POST', path: '/images/create?fromImage=busybox-list&tag=latest' }, (res) => {
      t.is(res.statusCode, 200);
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    req.end();
  });
  t.is((await engine.api('GET', '/_ping')).text, 'OK');
  // The dropped pull winds down on its own (it is cancelled once its download returns and its
  // lease is deleted): wait for that, bounded, so the next pull does not race its cleanup.
  for (let i = 0; i < 300 && (await ctr('leases', 'ls', '-q')).trim() !== ''; i++) await new Promise((r) => setTimeout(r, 100));
  t.is((await ctr('leases', 'ls', '-q')).trim(), '');
  const pulled = await engine.docker('pull', 'busybox-list');
  t.is(pulled.code, 0, pulled.stderr);
  // Its amd64 manifest is busybox's: the layer was already there.
  t.regex(pulled.stdout, /Already exists|Image is up to date/);
  t.is((await inspect('busybox-list')).Id, busyboxConfigDigest);
  await engine.dockerOk('rmi', 'busybox-list');
});

test.serial('bad input: unknown tags, invalid references, missing images, search, garbage archives', async (t) => {
  const unknownTag = await engine.docker('pull', 'busybox:nope');
  t.not(unknownTag.code, 0);
  t.regex(unknownTag.stderr, /manifest for busybox:nope not found/);
  const created = await engine.api('POST', '/images/create?fromImage=busybox&tag=nope');
  t.is(created.status, 404);
  const invalid = await engine.api('POST', '/images/create?fromImage=Bad_Name');
  t.is(invalid.status, 400);
  t.regex(invalid.json<{ message: string }>().message, /invalid reference format/);
  const missing = await engine.api('GET', '/images/nothing-here/json');
  t.is(missing.status, 404);
  t.deepEqual(missing.json(), { message: 'No such image: nothing-here' });
  const missingDelete = await engine.api('DELETE', '/images/nothing-here');
  t.is(missingDelete.status, 404);
  const tagMissing = await engine.api('POST', '/images/nothing-here/tag?repo=x&tag=1');
  t.is(tagMissing.status, 404);
  const tagDigest = await engine.api('POST', `/images/busybox/tag?repo=${encodeURIComponent(`x@${fixtures.images.busybox.digest}`)}`);
  t.is(tagDigest.status, 400);
  const tagInvalid = await engine.api('POST', '/images/busybox/tag?repo=UPPER&tag=1');
  t.is(tagInvalid.status, 400);
  t.regex(tagInvalid.json<{ message: string }>().message, /invalid reference format/);
  const search = await engine.api('GET', '/images/search?term=busybox');
  t.is(search.status, 501);
  t.regex(search.json<{ message: string }>().message, /not supported/);
  const garbage = join(scratch, 'garbage.tar');
  await writeFile(garbage, Buffer.alloc(4096, 7));
  const load = await engine.docker('load', '-i', garbage);
  t.not(load.code, 0);
  t.regex(load.stderr, /invalid|archive|tar/i);
  // An archive entry climbing out of the archive is refused before anything is written outside it.
  const evil = new PassThrough();
  const parts: Buffer[] = [];
  evil.on('data', (chunk: Buffer) => parts.push(chunk));
  const tar = new TarWriter(evil);
  await tar.file('../escaped-by-h3-test', Buffer.from('nope'));
  await tar.finish();
  const escape = await engine.api('POST', '/images/load', { body: Buffer.concat(parts), headers: { 'content-type': 'application/x-tar' } });
  t.is(escape.status, 400);
  t.regex(escape.json<{ message: string }>().message, /escapes the archive/);
  t.false(existsSync(join(engine.dir, 'engine', 'exec', 'escaped-by-h3-test')));
  // The engine keeps serving after all of it.
  t.is((await engine.api('GET', '/_ping')).text, 'OK');
});

test.serial('docker import makes a one-layer image from a gzip tarball; --change is refused', async (t) => {
  const root = join(scratch, 'import-root');
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc', 'imported'), 'yes\n');
  await run('tar', ['-czf', join(scratch, 'root.tgz'), '-C', root, '.']);
  const imported = await engine.docker('import', '-m', 'from a test', join(scratch, 'root.tgz'), 'h3/imported:1');
  t.is(imported.code, 0, imported.stderr);
  t.regex(imported.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
  const image = await inspect('h3/imported:1');
  t.is(image.Id, imported.stdout.trim());
  t.is(image.Os, 'linux');
  t.is(image.RootFS.Layers.length, 1);
  t.regex(await engine.dockerOk('history', '--format', '{{.CreatedBy}}|{{.Comment}}', 'h3/imported:1'), /^Imported from -\|from a test$/m);
  const changed = await engine.docker('import', '--change', 'CMD ["sh"]', join(scratch, 'root.tgz'), 'h3/imported:2');
  t.not(changed.code, 0);
  t.regex(changed.stderr, /--change is not supported/);
  await engine.dockerOk('rmi', 'h3/imported:1');
});

test.serial('an image a container uses: rmi is a 409, rmi -f leaves it dangling, prune keeps it until the container goes', async (t) => {
  const image = await inspect('busybox');
  const container = (await engine.dockerOk('create', '--name', 'h3-image-user', 'busybox', 'true')).trim();
  const refused = await engine.docker('rmi', 'busybox');
  t.not(refused.code, 0);
  t.regex(refused.stderr, new RegExp(`conflict: unable to remove repository reference "busybox" \\(must force\\) - container ${container.slice(0, 12)} is using its referenced image ${image.Id.slice(7, 19)}`));
  const forced = await engine.dockerOk('rmi', '-f', 'busybox');
  t.regex(forced, /Untagged: busybox:latest/);
  t.notRegex(forced, /Deleted:/);
  t.is((await engine.dockerOk('images', '-q', '--filter', 'dangling=true')).trim(), image.Id.slice(7, 19));
  await engine.dockerOk('image', 'prune', '-f');
  t.is((await engine.dockerOk('images', '-q', '--filter', 'dangling=true')).trim(), image.Id.slice(7, 19));
  const info = JSON.parse(await engine.dockerOk('info', '--format', '{{json .}}')) as { Containers: number; ContainersStopped: number; Images: number };
  t.is(info.Containers, 1);
  t.is(info.ContainersStopped, 1);
  await engine.dockerOk('rm', container);
  const pruned = await engine.dockerOk('image', 'prune', '-f');
  t.regex(pruned, new RegExp(`deleted: ${image.Id}`));
  t.is((await engine.dockerOk('images', '-q')).trim(), '');
});
