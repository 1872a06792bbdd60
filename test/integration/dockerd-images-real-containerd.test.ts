// Our dockerd on Debian's real containerd 1.6: the same gRPC client must pull (content writes
// under a lease, Images.Create, Diff.Apply + Snapshots Prepare/Commit on overlayfs), list,
// inspect, tag and remove — proof that it speaks containerd's API and not only ours.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DEFAULT_CONFIG } from '../../guest/dockerd/config/engine-config.js';
import { startEngineServer, type RunningEngine } from '../../guest/dockerd/engine-server.js';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { DebianContainerd } from '../helpers/debian-containerd.js';

let fixtures: FixtureRegistry;
let containerd: DebianContainerd;
let engine: RunningEngine;
let dir: string;

test.before(async () => {
  fixtures = await startFixtureRegistry({ nginx: false });
  containerd = await DebianContainerd.start();
  dir = await mkdtemp(join(tmpdir(), 'tsdtest-dockerd-realctrd-'));
  engine = await startEngineServer({
    ...DEFAULT_CONFIG,
    hosts: [`unix://${join(dir, 'docker.sock')}`],
    dataRoot: join(dir, 'root'),
    execRoot: join(dir, 'exec'),
    containerdAddress: containerd.address,
    registryMirrors: [`http://${fixtures.host}`],
    dockerHubOrigin: false,
  });
});

test.after.always(async () => {
  await engine?.close();
  await containerd?.stop(['moby']);
  await fixtures?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function docker(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)('/usr/local/bin/docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${join(dir, 'docker.sock')}`, DOCKER_CONFIG: dir } });
}

test.serial('docker pull and docker images against containerd 1.6', async (t) => {
  const pulled = await docker('pull', 'busybox');
  t.regex(pulled.stdout, /Status: Downloaded newer image for busybox:latest/);
  const images = await docker('images', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}');
  t.regex(images.stdout.trim(), /^busybox:latest \d/);
  const inspect = JSON.parse((await docker('image', 'inspect', 'busybox')).stdout) as Array<{ RepoDigests: string[]; RootFS: { Layers: string[] } }>;
  t.deepEqual(inspect[0]!.RepoDigests, [`busybox@${fixtures.images.busybox.digest}`]);
  // containerd 1.6 itself holds the image and the committed snapshot named by the chain ID.
  t.regex(await containerd.ctrOk(['images', 'ls', '-q'], { namespace: 'moby' }), /^docker\.io\/library\/busybox:latest$/m);
  const snapshots = await containerd.ctrOk(['snapshots', '--snapshotter', 'overlayfs', 'ls'], { namespace: 'moby' });
  t.regex(snapshots, new RegExp(`${inspect[0]!.RootFS.Layers[0]}\\s+Committed`));
  // No lease is left behind once the pull is done.
  t.is((await containerd.ctrOk(['leases', 'ls', '-q'], { namespace: 'moby' })).trim(), '');
});

test.serial('tag and rmi against containerd 1.6', async (t) => {
  await docker('tag', 'busybox', 'real/ctrd:1');
  t.regex(await containerd.ctrOk(['images', 'ls', '-q'], { namespace: 'moby' }), /^docker\.io\/real\/ctrd:1$/m);
  const removed = await docker('rmi', 'real/ctrd:1', 'busybox');
  t.regex(removed.stdout, /Untagged: real\/ctrd:1/);
  t.regex(removed.stdout, /Deleted: sha256:/);
  t.is((await containerd.ctrOk(['images', 'ls', '-q'], { namespace: 'moby' })).trim(), '');
  t.is((await containerd.ctrOk(['content', 'ls', '-q'], { namespace: 'moby' })).trim(), '');
});
