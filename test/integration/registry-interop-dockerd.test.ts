import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureRegistry } from '../fixtures/fixture-images.js';
import { startDebianDockerd } from '../helpers/debian-dockerd.js';

/**
 * The fixture registry as a docker.io mirror for the real Docker daemon (Debian's dockerd, a
 * private instance with its own data root, socket and managed containerd; no bridge, no
 * iptables): `docker pull busybox` resolves docker.io/library/busybox through the mirror only.
 */
test('real dockerd pulls busybox through the fixture registry as its docker.io mirror and runs it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-dockerd-'));
  const fixtures = await startFixtureRegistry({ nginx: false });
  // dockerd falls back to Docker Hub should the mirror fail: the helper sends that to a dead
  // loopback proxy, so that nothing leaves the machine. The mirror itself (loopback) goes direct.
  const daemon = await startDebianDockerd({
    dir,
    args: [
      '--bridge', 'none',
      '--containerd-namespace', `tsd-test-${process.pid}`, '--containerd-plugins-namespace', `tsd-test-${process.pid}-plugins`,
      '--registry-mirror', `http://${fixtures.host}`,
    ],
  });
  const docker = async (...args: string[]): Promise<string> => (await daemon.docker(args)).stdout;
  try {
    const pull = await docker('pull', 'busybox');
    t.regex(pull, new RegExp(`Digest: ${fixtures.images.busybox.digest}`));
    t.regex(pull, /docker\.io\/library\/busybox:latest/);
    t.is((await docker('run', '--rm', '--network', 'none', 'busybox', 'echo', 'hello from docker')).trim(), 'hello from docker');
  } finally {
    await daemon.stop();
    await fixtures.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
