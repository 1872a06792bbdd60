// Mount points with the real docker CLI against our dockerd (host mode), as Docker registers them:
// inspect's Mounts of a created (never started) container — binds, named and anonymous volumes
// (made at create), `--mount type=tmpfs` but not `--tmpfs` — and what --volumes-from takes of a
// source's tmpfs mounts (moby: `--tmpfs` is not inherited; `--mount type=tmpfs` fails the create).
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBusyboxEngine, type BusyboxEngine } from '../helpers/busybox-engine.js';
import type { HostEngine } from '../helpers/host-engine.js';
import type { MountPoint } from '../../guest/dockerd/containers/docker-types.js';

let setup: BusyboxEngine | undefined;
let engine: HostEngine;

async function mountsOf(container: string): Promise<MountPoint[]> {
  const points = JSON.parse(await engine.dockerOk('inspect', '-f', '{{json .Mounts}}', container)) as MountPoint[];
  return points.sort((a, b) => (a.Destination < b.Destination ? -1 : 1));
}

test.before(async () => {
  setup = await startBusyboxEngine();
  engine = setup.engine;
});

test.after.always(async () => {
  await setup?.stop();
});

test.serial('inspect of a created container shows its mounts; volumes exist before the start and keep their names', async (t) => {
  const hostDir = await mkdtemp(join(tmpdir(), 'tsd-mounts-'));
  t.teardown(async () => rm(hostDir, { recursive: true, force: true }));
  await engine.dockerOk('create', '--name', 'mp-created', '-v', 'mp-named:/named', '-v', '/anon', '-v', `${hostDir}:/bound:ro`,
    '--mount', 'type=tmpfs,dst=/memory', '--tmpfs', '/run-tmpfs', 'busybox', 'true');
  const points = await mountsOf('mp-created');
  t.is(points.length, 4, JSON.stringify(points));
  const [anon, bound, memory, named] = points as [MountPoint, MountPoint, MountPoint, MountPoint];
  t.regex(anon.Name ?? '', /^[0-9a-f]{64}$/);
  t.deepEqual(anon, { Type: 'volume', Name: anon.Name, Source: join(engine.dataRoot, 'volumes', anon.Name!, '_data'), Destination: '/anon', Driver: 'local', Mode: '', RW: true, Propagation: '' });
  t.deepEqual(bound, { Type: 'bind', Source: hostDir, Destination: '/bound', Mode: 'ro', RW: false, Propagation: 'rprivate' });
  t.deepEqual(memory, { Type: 'tmpfs', Source: '', Destination: '/memory', Mode: '', RW: true, Propagation: '' });
  t.deepEqual(named, { Type: 'volume', Name: 'mp-named', Source: join(engine.dataRoot, 'volumes', 'mp-named', '_data'), Destination: '/named', Driver: 'local', Mode: 'z', RW: true, Propagation: '' });
  // Both volumes were created at create, as Docker does.
  const volumes = (await engine.dockerOk('volume', 'ls', '-q')).split('\n');
  t.true(volumes.includes('mp-named'));
  t.true(volumes.includes(anon.Name!));
  // The start mounts the same ones: the Mounts do not change.
  await engine.dockerOk('start', '-a', 'mp-created');
  t.deepEqual(await mountsOf('mp-created'), points);
  await engine.dockerOk('rm', '-v', 'mp-created');
  t.false((await engine.dockerOk('volume', 'ls', '-q')).split('\n').includes(anon.Name!));
  await engine.dockerOk('volume', 'rm', 'mp-named');
});

test.serial("an image's VOLUME is an anonymous volume in the created container's Mounts", async (t) => {
  await engine.dockerOk('run', '--name', 'mp-base', 'busybox', 'sh', '-c', 'mkdir /data && echo seed > /data/f');
  await engine.dockerOk('commit', '--change', 'VOLUME /data', 'mp-base', 'mp-with-volume');
  await engine.dockerOk('rm', 'mp-base');
  await engine.dockerOk('create', '--name', 'mp-image-volume', 'mp-with-volume', 'cat', '/data/f');
  const [point] = await mountsOf('mp-image-volume');
  t.is(point?.Type, 'volume');
  t.is(point?.Destination, '/data');
  t.is(point?.Mode, '');
  // The image's content reached the volume at create (Docker's copy-up).
  t.is(await engine.dockerOk('start', '-a', 'mp-image-volume'), 'seed\n');
  await engine.dockerOk('rm', '-v', 'mp-image-volume');
});

test.serial('--volumes-from: volumes and binds are inherited, a --tmpfs is not', async (t) => {
  await engine.dockerOk('create', '--name', 'mp-source', '-v', '/shared', '--tmpfs', '/private', 'busybox', 'true');
  await engine.dockerOk('run', '--rm', '--volumes-from', 'mp-source', 'busybox', 'sh', '-c', 'echo hi > /shared/x');
  const out = await engine.dockerOk('run', '--rm', '--volumes-from', 'mp-source', 'busybox', 'sh', '-c', 'cat /shared/x; grep -c " /private " /proc/mounts || true');
  t.is(out, 'hi\n0\n');
  await engine.dockerOk('create', '--name', 'mp-taker', '--volumes-from', 'mp-source', 'busybox', 'true');
  t.deepEqual((await mountsOf('mp-taker')).map((m) => m.Destination), ['/shared']);
  await engine.dockerOk('rm', 'mp-taker');
  await engine.dockerOk('rm', '-v', 'mp-source');
});

test.serial('--volumes-from a container with --mount type=tmpfs fails the create as moby does: 404 "get: no such volume"', async (t) => {
  await engine.dockerOk('create', '--name', 'mp-tmpfs-source', '--mount', 'type=tmpfs,dst=/scratch', 'busybox', 'true');
  const response = await engine.api('POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['true'], HostConfig: { VolumesFrom: ['mp-tmpfs-source'] } } });
  t.is(response.status, 404);
  t.is(response.json<{ message: string }>().message, 'get: no such volume');
  await engine.dockerOk('rm', 'mp-tmpfs-source');
});
