import test from 'ava';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { GUEST_KERNEL_MODULES } from '../../guest/api/kernel-modules.js';
import { SLIRP } from '../../guest/api/guest-layout.js';
import { DEFAULT_BACKOFF, nextFailureCount, restartDelayMs } from '../../guest/init/backoff.js';
import { findDiskBySerial, hasExtSuperblock } from '../../guest/init/data-disk.js';
import { profileScript, shellQuote } from '../../guest/init/environment.js';
import { MODULE_GROUPS } from '../../guest/init/kernel-modules.js';
import { networkCommands, resolvConf } from '../../guest/init/network.js';
import { countKeyPresses, hasKeyCapability, INPUT_EVENT_SIZE, KEY_POWER } from '../../guest/init/power-button.js';
import { RotatingLog } from '../../guest/init/rotating-log.js';
import { ninepOptions } from '../../guest/init/shares.js';
import { runSteps, type Step } from '../../guest/init/steps.js';
import { BOOT_STEPS } from '../../guest/init/boot-plan.js';
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_RELATIME } from '../../guest/sys/mount.js';
import { mountArgv, mountOptions } from '../../guest/init/busybox-mount.js';
import { mountPoints } from '../../guest/init/base-mounts.js';
import { CONTAINERD_SOCKET, daemonJson, engineSpecs } from '../../guest/init/services.js';
import { parseDaemonJson } from '../../guest/dockerd/config/daemon-json.js';
import type { GuestConfig } from '../../guest/api/guest-config.js';

test('runSteps runs in order, goes on after a non-fatal failure and stops at a fatal one', async (t) => {
  const ran: string[] = [];
  const lines: string[] = [];
  const step = (name: string, fatal: boolean, fail = false): Step<null> => ({
    name,
    fatal,
    run: async () => {
      ran.push(name);
      if (fail) throw new Error(`${name} broke`);
    },
  });
  const report = await runSteps([step('a', true), step('b', false, true), step('c', true, true), step('d', false)], null, (l) => lines.push(l));
  t.deepEqual(ran, ['a', 'b', 'c']);
  t.false(report.completed);
  t.deepEqual(report.outcomes.map((o) => [o.name, o.state]), [['a', 'done'], ['b', 'failed'], ['c', 'failed']]);
  t.regex(lines[1]!, /step b: FAILED after \d+ ms: b broke/);
  t.regex(lines[2]!, /\(fatal\): c broke/);
});

test('the boot plan mounts first, reads the config before using it and starts each service once what it needs is there', (t) => {
  const names = BOOT_STEPS.map((s) => s.name);
  const at = (name: string) => names.indexOf(name);
  t.is(names[0], 'mount-kernel-filesystems');
  t.true(at('load-kernel-modules') < at('read-config'), 'fw_cfg needs its module');
  for (const later of ['set-hostname', 'mount-shared-folders', 'provision', 'start-sshd', 'start-engine']) t.true(at('read-config') < at(later));
  t.true(at('write-environment') < at('start-sshd'), 'sshd reads the env file');
  t.true(at('set-hostname') < at('start-sshd'));
  t.true(at('mount-data-disk') < at('provision'));
  t.true(at('mount-data-disk') < at('mount-shared-folders'));
  t.true(at('provision') < at('start-engine'));
  t.true(at('mount-data-disk') < at('start-engine'), 'the engine keeps its data on the data disk');
  t.true(at('load-kernel-modules') < at('load-engine-modules') && at('load-engine-modules') < at('start-engine'));
  t.true(at('start-sshd') < at('start-engine'));
  t.true(at('start-engine') < at('wait-for-services'));
  t.is(new Set(names).size, names.length);
});

test('busybox mount options cover the flags the init uses, and nothing else', (t) => {
  t.is(mountOptions(MS_RDONLY), 'ro');
  t.is(mountOptions(MS_NOSUID | MS_NODEV | MS_NOEXEC, 'mode=0755'), 'nosuid,nodev,noexec,mode=0755');
  t.is(mountOptions(0), 'defaults');
  t.is(mountOptions(0, 'trans=virtio'), 'trans=virtio');
  t.throws(() => mountOptions(0x20), { message: /0x20/ });
  t.deepEqual(mountArgv({ source: '/dev/vda', target: '/var/lib', fstype: 'ext4', flags: MS_RELATIME }), ['mount', '-t', 'ext4', '-o', 'relatime', '/dev/vda', '/var/lib']);
});

test('mountPoints reads /proc/self/mounts, including escaped spaces', (t) => {
  const points = mountPoints('proc /proc proc rw 0 0\nsysfs /sys sysfs rw 0 0\n/dev/vdb /my\\040dir ext4 rw 0 0\n');
  t.deepEqual([...points].sort(), ['/my dir', '/proc', '/sys']);
  t.is(mountPoints('').size, 0);
});

test('backoff doubles up to the maximum and resets after a stable run', (t) => {
  const delays = [1, 2, 3, 4, 10, 20].map((n) => restartDelayMs(n, DEFAULT_BACKOFF));
  t.deepEqual(delays, [250, 500, 1000, 2000, 30_000, 30_000]);
  t.is(nextFailureCount(5, 100, DEFAULT_BACKOFF), 6);
  t.is(nextFailureCount(5, DEFAULT_BACKOFF.stableMs, DEFAULT_BACKOFF), 1);
});

test('hasExtSuperblock reads the magic at byte 1080', (t) => {
  const blank = Buffer.alloc(2048);
  t.false(hasExtSuperblock(blank));
  const ext4 = Buffer.alloc(2048);
  ext4.writeUInt16LE(0xef53, 1024 + 0x38);
  t.true(hasExtSuperblock(ext4));
  t.false(hasExtSuperblock(ext4.subarray(0, 1000)));
  const swapped = Buffer.alloc(2048);
  swapped.writeUInt16BE(0xef53, 1024 + 0x38);
  t.false(hasExtSuperblock(swapped));
});

test('findDiskBySerial picks the device by serial, not by order', async (t) => {
  const sys = await mkdtemp(join(os.tmpdir(), 'tsd-guest-sysblock-'));
  t.teardown(() => rm(sys, { recursive: true, force: true }));
  for (const [name, serial] of [['vda', 'tsd-root'], ['vdb', 'tsd-data']] as const) {
    await mkdir(join(sys, name));
    await writeFile(join(sys, name, 'serial'), `${serial}\n`);
  }
  await mkdir(join(sys, 'loop0'));
  t.is(await findDiskBySerial('tsd-data', sys), '/dev/vdb');
  t.is(await findDiskBySerial('tsd-root', sys), '/dev/vda');
  t.is(await findDiskBySerial('missing', sys), undefined);
});

test('every module of the contract is in exactly one load group', (t) => {
  const grouped = MODULE_GROUPS.flatMap((group) => group.modules);
  t.deepEqual([...grouped].sort(), [...GUEST_KERNEL_MODULES].sort());
  t.is(new Set(grouped).size, grouped.length);
});

test('network plan: lo and eth0 up, slirp address, default route, DNS', (t) => {
  t.deepEqual(networkCommands('eth0'), [
    ['ip', 'link', 'set', 'lo', 'up'],
    ['ip', 'link', 'set', 'eth0', 'up'],
    ['ip', 'addr', 'add', '10.0.2.15/24', 'dev', 'eth0'],
    ['ip', 'route', 'add', 'default', 'via', '10.0.2.2', 'dev', 'eth0'],
  ]);
  t.regex(resolvConf(), new RegExp(`^nameserver ${SLIRP.dns.replace(/\./g, '\\.')}$`, 'm'));
});

test('power button: capability bitmaps and input events', (t) => {
  // ACPI power button as sysfs shows it: bit 116 in the second 64-bit word.
  t.true(hasKeyCapability('10000000000000 0', KEY_POWER));
  t.false(hasKeyCapability('0', KEY_POWER));
  t.false(hasKeyCapability('fffffffffffffffe', 0));
  const events = Buffer.alloc(INPUT_EVENT_SIZE * 3);
  const put = (index: number, type: number, code: number, value: number) => {
    events.writeUInt16LE(type, index * INPUT_EVENT_SIZE + 16);
    events.writeUInt16LE(code, index * INPUT_EVENT_SIZE + 18);
    events.writeInt32LE(value, index * INPUT_EVENT_SIZE + 20);
  };
  put(0, 1, KEY_POWER, 1); // press
  put(1, 0, 0, 0); // EV_SYN
  put(2, 1, KEY_POWER, 0); // release
  t.is(countKeyPresses(events, KEY_POWER), 1);
  t.is(countKeyPresses(events, 30), 0);
});

test('environment script quotes every value for sh', (t) => {
  t.is(shellQuote("it's"), `'it'\\''s'`);
  t.is(profileScript({ A: 'x y', B: "$(rm -rf /)'" }).split('\n').slice(1, 3).join('\n'), `export A='x y'\nexport B='$(rm -rf /)'\\'''`);
});

test('9p shares are read-only unless writable', (t) => {
  const share = { tag: 'tsd0', hostPath: '/src', guestPath: '/src', writable: false };
  t.is(ninepOptions(share).flags & MS_RDONLY, MS_RDONLY);
  t.is(ninepOptions({ ...share, writable: true }).flags & MS_RDONLY, 0);
  t.regex(ninepOptions(share).data, /^trans=virtio,version=9p2000\.L,msize=\d+$/);
});

test('RotatingLog rotates by size and keeps the configured generations', async (t) => {
  const dir = await mkdtemp(join(os.tmpdir(), 'tsd-guest-log-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'svc.log');
  const log = new RotatingLog(path, { maxBytes: 10, keep: 2 });
  for (const chunk of ['aaaaaaaa', 'bbbbbbbb', 'cccccccc', 'dddddddd']) log.write(chunk);
  log.close();
  t.is(await readFile(path, 'utf8'), 'dddddddd');
  t.is(await readFile(`${path}.1`, 'utf8'), 'cccccccc');
  t.is(await readFile(`${path}.2`, 'utf8'), 'bbbbbbbb');
  await t.throwsAsync(readFile(`${path}.3`, 'utf8'));
});

test('the engine starts containerd before dockerd, and dockerd gets a daemon.json our dockerd accepts', (t) => {
  const config = {
    version: 1, machineName: 'm', hostname: 'm', authorizedKeys: [], hostKey: '', hostTimeMs: 1, mounts: [], env: {}, provision: [],
    registryMirrors: ['http://10.0.2.2:5000'], insecureRegistries: ['10.0.2.2:5000'],
  } as unknown as GuestConfig;
  const specs = engineSpecs({});
  t.deepEqual(specs.map((spec) => spec.name), ['containerd', 'dockerd']);
  t.deepEqual(specs[0]!.argv.slice(1), ['/opt/tsd/containerd.mjs', '--address', CONTAINERD_SOCKET, '--root', '/var/lib/containerd', '--state', '/run/containerd']);
  t.deepEqual(specs[1]!.argv.slice(2), ['--config-file', '/etc/docker/daemon.json', '--containerd', CONTAINERD_SOCKET]);
  const parsed = parseDaemonJson(JSON.stringify(daemonJson(config)));
  t.deepEqual(parsed['registry-mirrors'], ['http://10.0.2.2:5000']);
  t.deepEqual(parsed['insecure-registries'], ['10.0.2.2:5000']);
  t.is(parsed['data-root'], '/var/lib/docker');
  t.deepEqual(parsed.hosts, ['unix:///run/docker.sock']);
  t.deepEqual(parsed.dns, [SLIRP.dns]);
  t.false('containerd' in parsed, 'the containerd socket is a flag: a key in both would be refused');
});
