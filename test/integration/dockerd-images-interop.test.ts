// docker save / docker load between our engine and Debian's real dockerd (20.10, classic image
// store): each loads what the other saved, and both agree on the image ID (the config digest).
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { startDebianDockerd, type DebianDockerd } from '../helpers/debian-dockerd.js';
import { startHostEngine, type HostEngine } from '../helpers/host-engine.js';

let fixtures: FixtureRegistry;
let engine: HostEngine;
let debian: DebianDockerd;
let dir: string;

test.before(async () => {
  fixtures = await startFixtureRegistry({ nginx: false });
  dir = await mkdtemp(join(tmpdir(), 'tsdtest-interop-'));
  debian = await startDebianDockerd({
    dir,
    args: [
      '--bridge', 'none',
      '--containerd-namespace', `tsd-h3-${process.pid}`, '--containerd-plugins-namespace', `tsd-h3-${process.pid}-plugins`,
      '--registry-mirror', `http://${fixtures.host}`,
    ],
  });
  engine = await startHostEngine({ daemonJson: { 'registry-mirrors': [`http://${fixtures.host}`], 'docker-hub-origin': false } });
});

test.after.always(async () => {
  await engine?.stop();
  await debian?.stop();
  await fixtures?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test.serial('an archive saved by the real dockerd loads into ours with the same image ID', async (t) => {
  await debian.docker(['pull', 'busybox']);
  const id = (await debian.docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox'])).stdout.trim();
  const archive = join(dir, 'from-debian.tar');
  await debian.docker(['save', '-o', archive, 'busybox']);
  const loaded = await engine.dockerWith({ input: await readFile(archive) }, 'load');
  t.is(loaded.code, 0, loaded.stderr);
  t.regex(loaded.stdout, /Loaded image: busybox:latest/);
  t.is((await engine.dockerOk('image', 'inspect', '--format', '{{.Id}}', 'busybox')).trim(), id);
  // Loaded layers are really unpacked: the snapshot of the chain exists.
  const layers = JSON.parse(await engine.dockerOk('image', 'inspect', '--format', '{{json .RootFS.Layers}}', 'busybox')) as string[];
  t.is(layers.length, 1);
});

test.serial('an archive saved by ours loads into the real dockerd with the same image ID', async (t) => {
  await engine.dockerOk('tag', 'busybox', 'interop/ours:1');
  const id = (await engine.dockerOk('image', 'inspect', '--format', '{{.Id}}', 'interop/ours:1')).trim();
  const archive = join(dir, 'from-ours.tar');
  await engine.dockerOk('save', '-o', archive, 'interop/ours:1');
  const loaded = await debian.docker(['load', '-i', archive]);
  t.regex(loaded.stdout, /Loaded image: interop\/ours:1/);
  t.is((await debian.docker(['image', 'inspect', '--format', '{{.Id}}', 'interop/ours:1'])).stdout.trim(), id);
});
