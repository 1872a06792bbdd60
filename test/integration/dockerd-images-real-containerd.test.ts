// Our dockerd on Debian's real containerd 1.6: the same gRPC client must pull (content writes
// under a lease, Images.Create, Diff.Apply + Snapshots Prepare/Commit on overlayfs), list,
// inspect, tag and remove — proof that it speaks containerd's API and not only ours.
import test from 'ava';
import type { FixtureRegistry } from '../fixtures/fixture-images.js';
import type { DebianContainerd } from '../helpers/debian-containerd.js';
import { startImageEngine, type ImageEngineFixture } from '../helpers/engine-server-fixture.js';

let server: ImageEngineFixture;
let fixtures: FixtureRegistry;
let containerd: DebianContainerd;

test.before(async () => {
  server = await startImageEngine({ containerd: 'debian', prefix: 'tsdtest-dockerd-realctrd-' });
  fixtures = server.fixtures;
  containerd = server.containerd as DebianContainerd;
});

test.after.always(async () => {
  await server?.stop();
});

const docker = (...args: string[]): Promise<{ stdout: string; stderr: string }> => server.docker(...args);

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
