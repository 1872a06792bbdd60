// The x86_64 guest image booted under real QEMU (tcg here) with the machine driver's command line,
// checked from the host over SSH: boot steps, data disk (formatted once, then kept), shared folders,
// env, provision, clock, a pty shell with resize, the Docker CLI through a streamlocal channel, and
// both ways of powering off (QMP power button on q35 and microvm, `poweroff` in the guest).
import test from 'ava';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ClientChannel } from 'ssh2';
import { createImageBuilder } from '../../src/image/builder.js';
import { exec, forwardDockerSocket, GuestVm, hostTscKhz } from '../helpers/guest-vm.js';

const run = promisify(execFile);

let dir = '';
let shared = '';
let vm: GuestVm;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsd-guest-e2e-'));
  shared = join(dir, 'shared');
  await mkdir(shared);
  await writeFile(join(shared, 'from-host.txt'), 'hello from the host\n');
  const image = await createImageBuilder().ensure('x86_64');
  vm = await GuestVm.create({
    dir: join(dir, 'vm'),
    image,
    name: `guest-e2e-${randomBytes(3).toString('hex')}`,
    mounts: [
      { tag: 'tsd0', hostPath: shared, guestPath: shared, writable: true },
      { tag: 'tsd1', hostPath: shared, guestPath: '/mnt/host-ro', writable: false },
    ],
    env: { TSD_E2E: "it's here" },
    provision: ['echo provisioned-$TSD_E2E > /run/provisioned'],
  });
  // microvm needs the TSC frequency under tcg (docs/guest-init.md); q35 boots as it is.
  vm.useBoard('q35');
});

test.after.always(async () => {
  vm?.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test.serial('first boot: steps, fresh data disk, shares, env, provision, clock, orphans reaped', async (t) => {
  const log = await vm.boot();
  t.regex(log, /tsd-init: step mount-kernel-filesystems: done/);
  t.regex(log, /tsd-init: data disk \/dev\/vd[a-z] \(formatted\) on \/var\/lib/);
  t.notRegex(log, /FAILED/);
  const client = await vm.connect();
  t.teardown(() => client.end());
  const facts = await exec(
    client,
    `hostname; cat ${shared}/from-host.txt; echo from-guest > ${shared}/from-guest.txt; touch /mnt/host-ro/x 2>&1; ` +
      'cat /run/provisioned; echo "$TSD_E2E"; date +%s; echo marker > /var/lib/e2e-marker; sync',
  );
  const [hostname, fromHost, roError, provisioned, env, guestTime] = facts.stdout.trim().split('\n');
  t.is(hostname, vm.spec.name);
  t.is(fromHost, 'hello from the host');
  t.regex(roError ?? '', /Read-only file system/);
  t.is(provisioned, "provisioned-it's here");
  t.is(env, "it's here");
  t.true(Math.abs(Number(guestTime) - Date.now() / 1000) < 120, `guest clock ${guestTime} is near the host's`);
  t.is(await readFile(join(shared, 'from-guest.txt'), 'utf8'), 'from-guest\n');
  // Orphans are reaped (tini is PID 1): a zombie whose parent never waits (it exec'd sleep) stays a
  // zombie while that parent lives, and is gone once the parent exits and it passes to PID 1.
  const countZombies = "grep -l '^State:.Z' /proc/[0-9]*/status 2>/dev/null | wc -l";
  const zombies = await exec(client, `sh -c 'sleep 0.1 & exec sleep 2' & sleep 1; ${countZombies}; sleep 3; ${countZombies}`);
  t.deepEqual(zombies.stdout.trim().split(/\s+/), ['1', '0']);
});

test.serial('a pty shell is the controlling terminal and follows window changes', async (t) => {
  const client = await vm.connect();
  t.teardown(() => client.end());
  const channel = await new Promise<ClientChannel>((resolve, reject) =>
    client.shell({ term: 'xterm', rows: 24, cols: 80 }, (error, stream) => (error ? reject(error) : resolve(stream))),
  );
  let output = '';
  const seen = (pattern: RegExp) =>
    new Promise<void>((resolve) => {
      const check = () => pattern.test(output) && (channel.off('data', onData), resolve());
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        check();
      };
      channel.on('data', onData);
      check();
    });
  const closed = new Promise<number>((resolve) => channel.on('close', (code: number) => resolve(code)));
  channel.write('tty; stty size\n');
  await seen(/\/dev\/pts\/\d+\r?\n24 80/);
  channel.setWindow(40, 120, 0, 0);
  channel.write('stty size\n');
  await seen(/40 120/);
  channel.write('exit 3\n');
  t.is(await closed, 3);
});

test.serial('the docker CLI reaches the engine through a streamlocal channel; the power button powers off', async (t) => {
  const client = await vm.connect();
  const socketPath = join(dir, 'docker.sock');
  const server = await forwardDockerSocket(client, socketPath);
  const docker = (...args: string[]) => run('/usr/local/bin/docker', ['-H', `unix://${socketPath}`, ...args], { env: { ...process.env, DOCKER_CONFIG: dir } });
  const version = JSON.parse((await docker('version', '--format', '{{json .Server}}')).stdout) as { KernelVersion: string };
  t.regex(version.KernelVersion, /^6\.1\./);
  const info = JSON.parse((await docker('info', '--format', '{{json .}}')).stdout) as { Name: string; NCPU: number; DockerRootDir: string };
  t.is(info.Name, vm.spec.name);
  t.is(info.NCPU, 2);
  t.is(info.DockerRootDir, '/var/lib/docker');
  server.close();
  client.end();
  await vm.qmp('system_powerdown');
  await vm.waitForExit();
  const log = await vm.serial();
  t.regex(log, /tsd-init: power button: poweroff/);
  t.regex(log, /EXT4-fs \(vd[a-z]\): unmounting filesystem/);
  t.regex(log, /reboot: Power down/);
});

test.serial('microvm: boots when given the TSC frequency; the ACPI power button powers off', async (t) => {
  vm.useBoard('microvm', [`tsc_early_khz=${await hostTscKhz()}`, 'tsc=reliable']);
  t.teardown(() => vm.useBoard('q35'));
  const log = await vm.boot();
  t.regex(log, /ACPI: button: Power Button/);
  t.regex(log, /tsd-init: power button: \/dev\/input\/event\d/);
  const client = await vm.connect();
  t.is((await exec(client, 'cat /var/lib/e2e-marker')).stdout, 'marker\n');
  client.end();
  await vm.qmp('system_powerdown');
  await vm.waitForExit();
  t.regex(await vm.serial(), /tsd-init: power button: poweroff[\s\S]*reboot: Power down/);
});

test.serial('a later boot keeps the data disk; poweroff in the guest shuts down cleanly', async (t) => {
  const log = await vm.boot();
  t.regex(log, /tsd-init: data disk \/dev\/vd[a-z] \(existing\) on \/var\/lib/);
  const client = await vm.connect();
  t.is((await exec(client, 'cat /var/lib/e2e-marker')).stdout, 'marker\n');
  client.on('error', () => undefined);
  void exec(client, 'poweroff').catch(() => undefined);
  await vm.waitForExit();
  client.end();
  const after = await vm.serial();
  t.regex(after, /tsd-init: SIGUSR2: poweroff/);
  t.regex(after, /reboot: Power down/);
});
