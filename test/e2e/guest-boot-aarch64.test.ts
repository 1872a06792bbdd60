// The aarch64 guest image under qemu-system-aarch64 -M virt (tcg): the init reaches ready, the
// Engine API answers the docker CLI through a streamlocal channel, and QEMU's power button (the
// PL061 GPIO key, gpio-keys) powers the guest off cleanly.
import test from 'ava';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createImageBuilder } from '../../src/image/builder.js';
import { exec, forwardDockerSocket, GuestVm } from '../helpers/guest-vm.js';

const run = promisify(execFile);

let dir = '';
let vm: GuestVm;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsd-guest-e2e-arm-'));
  const image = await createImageBuilder().ensure('aarch64');
  vm = await GuestVm.create({ dir: join(dir, 'vm'), image, name: `guest-arm-${randomBytes(3).toString('hex')}` });
});

test.after.always(async () => {
  vm?.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test.serial('virt boots to ready, serves the Engine API and powers off on the power button', async (t) => {
  const log = await vm.boot();
  t.regex(log, /tsd-init: power button: \/dev\/input\/event\d/);
  const client = await vm.connect();
  t.is((await exec(client, 'uname -m; cat /sys/class/input/event*/device/name')).stdout.split('\n')[0], 'aarch64');
  const socketPath = join(dir, 'docker.sock');
  const server = await forwardDockerSocket(client, socketPath);
  const { stdout } = await run('/usr/local/bin/docker', ['-H', `unix://${socketPath}`, 'version', '--format', '{{.Server.Arch}} {{.Server.KernelVersion}}'], {
    env: { ...process.env, DOCKER_CONFIG: dir },
  });
  t.regex(stdout.trim(), /^arm64 6\.1\.\S+-arm64$/);
  server.close();
  client.end();
  await vm.qmp('system_powerdown');
  await vm.waitForExit();
  t.regex(await vm.serial(), /tsd-init: power button: poweroff[\s\S]*reboot: Power down/);
});
