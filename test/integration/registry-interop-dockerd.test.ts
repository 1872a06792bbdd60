import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFixtureRegistry } from '../fixtures/fixture-images.js';

const run = promisify(execFile);

/**
 * The fixture registry as a docker.io mirror for the real Docker daemon (Debian's dockerd, a
 * private instance with its own data root, socket and managed containerd; no bridge, no
 * iptables): `docker pull busybox` resolves docker.io/library/busybox through the mirror only.
 */
test('real dockerd pulls busybox through the fixture registry as its docker.io mirror and runs it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-dockerd-'));
  const socket = `unix://${join(dir, 'docker.sock')}`;
  const fixtures = await startFixtureRegistry({ nginx: false });
  const daemon = spawn('dockerd', [
    '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'dockerd.pid'),
    '--host', socket, '--bridge', 'none', '--iptables=false', '--ip6tables=false',
    '--containerd-namespace', `tsd-test-${process.pid}`, '--containerd-plugins-namespace', `tsd-test-${process.pid}-plugins`,
    '--registry-mirror', `http://${fixtures.host}`,
  ], {
    stdio: 'ignore',
    // Should the mirror ever fail, dockerd falls back to Docker Hub: send that to a dead loopback
    // proxy, so that nothing leaves the machine. The mirror itself (loopback) goes direct.
    env: { ...process.env, HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost' },
  });
  const exited = new Promise((resolve) => daemon.once('exit', resolve));
  const docker = async (...args: string[]): Promise<string> => (await run('docker', ['-H', socket, ...args], { timeout: 120_000 })).stdout;
  try {
    for (let attempt = 0; ; attempt++) {
      if (await docker('version').then(() => true, () => false)) break;
      if (attempt > 300 || daemon.exitCode !== null) throw new Error('dockerd did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const pull = await docker('pull', 'busybox');
    t.regex(pull, new RegExp(`Digest: ${fixtures.images.busybox.digest}`));
    t.regex(pull, /docker\.io\/library\/busybox:latest/);
    t.is((await docker('run', '--rm', '--network', 'none', 'busybox', 'echo', 'hello from docker')).trim(), 'hello from docker');
  } finally {
    if (daemon.exitCode === null && daemon.pid !== undefined) process.kill(daemon.pid, 'SIGTERM');
    await exited;
    await fixtures.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
