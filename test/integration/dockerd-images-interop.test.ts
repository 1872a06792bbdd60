// docker save / docker load between our engine and Debian's real dockerd (20.10, classic image
// store): each loads what the other saved, and both agree on the image ID (the config digest).
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDebianDockerd, type DebianDockerd } from '../helpers/debian-dockerd.js';
import type { HostEngine } from '../helpers/host-engine.js';
import { startImageEngine, type ImageEngine } from '../helpers/image-engine.js';

let setup: ImageEngine;
let engine: HostEngine;
let debian: DebianDockerd;
let dir: string;

test.before(async () => {
  setup = await startImageEngine();
  engine = setup.engine;
  dir = await mkdtemp(join(tmpdir(), 'tsdtest-interop-'));
  debian = await startDebianDockerd({
    dir,
    args: [
      '--bridge', 'none',
      '--containerd-namespace', `tsd-h3-${process.pid}`, '--containerd-plugins-namespace', `tsd-h3-${process.pid}-plugins`,
      '--registry-mirror', `http://${setup.fixtures.host}`,
    ],
  });
});

test.after.always(async () => {
  await setup?.stop();
  await debian?.stop();
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
