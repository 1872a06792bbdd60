// docker commit on the host-mode engine, with the real CLI: the container's changes (added,
// modified, deleted → whiteout) become one gzip layer stored through containerd, the config and
// history say what Docker's say, --change takes every instruction dockerd accepts, the container
// is paused during the commit, and the image pushed to a registry is pulled and run by Debian's
// real dockerd (which checks every diff ID while it pulls).
import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { chainIds } from '../../guest/dockerd/images/chain-id.js';
import type { FixtureRegistry } from '../fixtures/fixture-images.js';
import { startDebianDockerd, type DebianDockerd } from '../helpers/debian-dockerd.js';
import type { HostEngine } from '../helpers/host-engine.js';
import { startImageEngine, type ImageEngine } from '../helpers/image-engine.js';

let setup: ImageEngine;
let fixtures: FixtureRegistry;
let engine: HostEngine;
let debian: DebianDockerd;
let dir: string;

test.before(async () => {
  setup = await startImageEngine();
  ({ fixtures, engine } = setup);
  await engine.dockerOk('pull', 'busybox');
});

test.after.always(async () => {
  await setup?.stop();
  await debian?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ctr = (...args: string[]): Promise<string> => setup.ctr(...args);

async function registryGet(path: string, accept?: string): Promise<Buffer> {
  const response = await fetch(`http://${fixtures.host}${path}`, { headers: accept ? { accept } : {} });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

interface Inspect {
  Id: string;
  Author: string;
  Comment: string;
  Config: { Cmd: string[]; Env: string[]; Labels: Record<string, string>; ExposedPorts?: Record<string, object>; WorkingDir: string; User: string; Volumes?: Record<string, object>; StopSignal?: string; OnBuild?: string[]; Entrypoint?: string[] | null; Healthcheck?: { Test: string[]; Interval?: number; Retries?: number } };
  RootFS: { Layers: string[] };
}

async function inspect(name: string): Promise<Inspect> {
  return (JSON.parse(await engine.dockerOk('image', 'inspect', name)) as Inspect[])[0]!;
}

test.serial('commit makes one gzip layer of added, modified and deleted files; the image runs; push and a real dockerd pulls and runs it', async (t) => {
  await engine.dockerOk('run', '--name', 'c6-changes', 'busybox', 'sh', '-c', 'mkdir /app && echo added > /app/added && echo extra:x:7:7::/:/bin/sh >> /etc/passwd && rm /etc/group');
  const target = `${fixtures.host}/h6/committed:v1`;
  const id = (await engine.dockerOk('commit', '-a', 'Ann Author <ann@example.com>', '-m', 'files changed', '-c', 'CMD ["cat", "/app/added"]', 'c6-changes', target)).trim();
  t.regex(id, /^sha256:[0-9a-f]{64}$/);

  const image = await inspect(target);
  const base = await inspect('busybox');
  t.is(image.Id, id);
  t.is(image.Author, 'Ann Author <ann@example.com>');
  t.is(image.Comment, 'files changed');
  t.deepEqual(image.RootFS.Layers.slice(0, -1), base.RootFS.Layers);
  t.is(image.RootFS.Layers.length, base.RootFS.Layers.length + 1);
  t.deepEqual(image.Config.Cmd, ['cat', '/app/added']);
  const history = (await engine.dockerOk('history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', target)).trim().split('\n');
  t.is(history[0], 'sh -c mkdir /app && echo added > /app/added && echo extra:x:7:7::/:/bin/sh >> /etc/passwd && rm /etc/group|files changed');

  // Unpacked at once: the snapshot named by the new top chain ID is committed in containerd.
  const snapshots = await ctr('snapshots', 'ls');
  t.regex(snapshots, new RegExp(`^${chainIds(image.RootFS.Layers).at(-1)}\\s+\\S+\\s+Committed`, 'm'));

  // The new image runs with the changes; the deleted file stays deleted.
  t.is(await engine.dockerOk('run', '--rm', target), 'added\n');
  t.is(await engine.dockerOk('run', '--rm', target, 'sh', '-c', 'tail -n1 /etc/passwd; test -e /etc/group || echo group-gone'), 'extra:x:7:7::/:/bin/sh\ngroup-gone\n');

  // Pushed: the manifest's new layer is Docker's gzip layer; gunzipped it hashes to the diff ID and holds the whiteout.
  const pushed = await engine.docker('push', target);
  t.is(pushed.code, 0, pushed.stderr);
  const manifest = JSON.parse((await registryGet('/v2/h6/committed/manifests/v1', 'application/vnd.docker.distribution.manifest.v2+json')).toString()) as {
    mediaType: string; config: { digest: string }; layers: Array<{ mediaType: string; digest: string; size: number }>;
  };
  t.is(manifest.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  t.is(manifest.config.digest, id);
  const top = manifest.layers.at(-1)!;
  t.is(top.mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
  const blob = await registryGet(`/v2/h6/committed/blobs/${top.digest}`);
  t.is(blob.length, top.size);
  t.is(`sha256:${createHash('sha256').update(blob).digest('hex')}`, top.digest);
  const tar = gunzipSync(blob);
  t.is(`sha256:${createHash('sha256').update(tar).digest('hex')}`, image.RootFS.Layers.at(-1)!);
  // In containerd's content store the blob carries its diff ID, as containerd's differ labels it.
  const contentLine = (await ctr('content', 'ls')).split('\n').find((line) => line.startsWith(top.digest)) ?? '';
  t.true(contentLine.includes(`containerd.io/uncompressed=${image.RootFS.Layers.at(-1)!}`), contentLine);
  const names = tarNames(tar);
  t.true(names.includes('etc/.wh.group'), names.join(' '));
  t.true(names.includes('app/added'));
  t.true(names.includes('etc/passwd'));

  dir = await mkdtemp(join(tmpdir(), 'tsdtest-commit-debian-'));
  debian = await startDebianDockerd({
    dir, args: ['--bridge', 'none', '--containerd-namespace', `tsd-h6c-${process.pid}`, '--containerd-plugins-namespace', `tsd-h6c-${process.pid}-plugins`],
  });
  await debian.docker(['pull', target]);
  t.is((await debian.docker(['image', 'inspect', '--format', '{{.Id}}', target])).stdout.trim(), id);
  const ran = await debian.docker(['run', '--rm', '--network', 'none', target, 'sh', '-c', 'cat /app/added; tail -n1 /etc/passwd; test -e /etc/group || echo group-gone']);
  t.is(ran.stdout, 'added\nextra:x:7:7::/:/bin/sh\ngroup-gone\n');
});

/** Entry names of an uncompressed tar (ustar; PAX path records not needed for these short names). */
function tarNames(tar: Buffer): string[] {
  const names: string[] = [];
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    names.push(name.replace(/\/$/, ''));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

test.serial('--change takes every instruction dockerd accepts for commit; others are a 400 naming them', async (t) => {
  await engine.dockerOk('create', '--name', 'c6-config', 'busybox');
  const changes = [
    'ENV GREETING="hello world"', 'LABEL team=h6', 'EXPOSE 8080 53/udp', 'VOLUME /data', 'WORKDIR /srv', 'USER nobody',
    'STOPSIGNAL SIGUSR1', 'ONBUILD RUN echo built', 'HEALTHCHECK --interval=5s --retries=2 CMD true', 'ENTRYPOINT ["/bin/echo"]', 'CMD ["one", "two"]',
  ];
  await engine.dockerOk('commit', ...changes.flatMap((c) => ['-c', c]), 'c6-config', 'h6/config:1');
  const { Config: config } = await inspect('h6/config:1');
  t.true(config.Env.includes('GREETING=hello world'));
  t.is(config.Labels.team, 'h6');
  t.deepEqual(Object.keys(config.ExposedPorts ?? {}).sort(), ['53/udp', '8080/tcp']);
  t.deepEqual(Object.keys(config.Volumes ?? {}), ['/data']);
  t.is(config.WorkingDir, '/srv');
  t.is(config.User, 'nobody');
  t.is(config.StopSignal, 'SIGUSR1');
  t.deepEqual(config.OnBuild, ['RUN echo built']);
  t.deepEqual(config.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 2 });
  t.deepEqual(config.Entrypoint, ['/bin/echo']);
  t.deepEqual(config.Cmd, ['one', 'two']);

  for (const [change, message] of [['FROM busybox', 'from is not a valid change command'], ['RUN true', 'run is not a valid change command'], ['STOPSIGNAL NOPE', 'invalid signal: NOPE']]) {
    const failed = await engine.docker('commit', '-c', change!, 'c6-config', 'h6/bad:1');
    t.is(failed.code, 1);
    t.is(failed.stderr.trim(), `Error response from daemon: ${message}`);
  }
  const raw = await engine.api('POST', '/v1.51/commit?container=c6-config&changes=ADD%20a%20b');
  t.is(raw.status, 400);
  t.deepEqual(raw.json(), { message: 'add is not a valid change command' });
  const badName = await engine.api('POST', '/v1.51/commit?container=no-such-container&repo=Bad:Name');
  t.is(badName.status, 400, 'the name is checked before the container is looked up');
  const missing = await engine.api('POST', '/v1.51/commit?container=no-such-container&repo=ok');
  t.is(missing.status, 404);
  // A commit without file changes adds no layer; its history entry is an empty layer.
  const base = await inspect('busybox');
  t.deepEqual((await inspect('h6/config:1')).RootFS.Layers, base.RootFS.Layers);
  t.regex((await engine.dockerOk('history', '--format', '{{.Size}}', 'h6/config:1')).split('\n')[0]!, /^0B$/);
});

test.serial('a running container is paused during the commit (pause, commit, unpause events) unless --pause=false', async (t) => {
  await engine.dockerOk('run', '-d', '--name', 'c6-running', 'busybox', 'sh', '-c', 'echo x > /made; exec sleep 600');
  const since = String(Math.floor(Date.now() / 1000) - 1);
  await engine.dockerOk('commit', 'c6-running', 'h6/running:paused');
  await engine.dockerOk('commit', '--pause=false', 'c6-running', 'h6/running:unpaused');
  const until = String(Math.floor(Date.now() / 1000) + 1);
  const actions = (await engine.dockerOk('events', '--since', since, '--until', until, '--filter', 'container=c6-running', '--format', '{{.Action}}'))
    .trim().split('\n').filter((action) => ['pause', 'unpause', 'commit'].includes(action));
  t.deepEqual(actions, ['pause', 'commit', 'unpause', 'commit']);
  t.is((await engine.dockerOk('inspect', '--format', '{{.State.Status}}', 'c6-running')).trim(), 'running');
  t.is(await engine.dockerOk('run', '--rm', 'h6/running:paused', 'cat', '/made'), 'x\n');
  await engine.dockerOk('rm', '-f', 'c6-running');
});
