import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFixtureRegistry } from '../fixtures/fixture-images.js';

const run = promisify(execFile);

/**
 * The fixture images, pushed by tsd's client, checked by a real client: Debian's containerd (a
 * private instance: own socket, root and state) pulls them with `ctr`, unpacks them, and runs
 * busybox with Debian's runc.
 */
test('real ctr pulls, unpacks and runs the fixture images', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-ctr-'));
  const socket = join(dir, 'containerd.sock');
  await writeFile(join(dir, 'config.toml'), [
    'version = 2',
    `root = "${join(dir, 'root')}"`,
    `state = "${join(dir, 'state')}"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs",',
    '  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
    '[grpc]', `  address = "${socket}"`,
    '[ttrpc]', `  address = "${join(dir, 'containerd-ttrpc.sock')}"`,
    '[debug]', '  address = ""',
    '[metrics]', '  address = ""',
    '',
  ].join('\n'));
  const daemon = spawn('containerd', ['-c', join(dir, 'config.toml')], { stdio: 'ignore' });
  const exited = new Promise((resolve) => daemon.once('exit', resolve));
  const fixtures = await startFixtureRegistry({ nginx: false });
  const ctr = async (...args: string[]): Promise<string> => (await run('ctr', ['-a', socket, '-n', 'tsd-test', ...args], { timeout: 120_000 })).stdout;
  try {
    // Readiness: ctr version answers once the socket serves.
    for (let attempt = 0; ; attempt++) {
      const ok = await ctr('version').then(() => true, () => false);
      if (ok) break;
      if (attempt > 100 || daemon.exitCode !== null) throw new Error('containerd did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const busybox = `${fixtures.host}/library/busybox:latest`;
    const multi = `${fixtures.host}/library/busybox-multi:latest`;
    await ctr('images', 'pull', '--plain-http', busybox);
    await ctr('images', 'pull', '--plain-http', '--all-platforms', multi);
    const check = await ctr('images', 'check');
    t.regex(check, new RegExp(`${fixtures.images.busybox.digest}\\s+complete \\(2/2\\)`));
    t.regex(check, new RegExp(`${fixtures.images.multiArch.digest}\\s+complete \\(2/2\\)`));
    const content = await ctr('content', 'ls');
    t.true(content.includes(fixtures.images.multiArchArm64.digest), 'the arm64 manifest was fetched too');
    const output = await ctr('run', '--rm', busybox, `tsd-ctr-${process.pid}`, 'sh', '-c', 'echo hello from busybox');
    t.is(output.trim(), 'hello from busybox');
  } finally {
    await fixtures.stop();
    if (daemon.exitCode === null && daemon.pid !== undefined) process.kill(daemon.pid, 'SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
});
