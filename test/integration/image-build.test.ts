/**
 * Builds the real guest images (Debian kernel, node, koffi, busybox…) into the tsd cache and boots
 * them under QEMU (tcg) with a test script in place of the init (kernel quiet, so that its messages do
 * not split the script's lines): the script prints markers, runs the
 * guest's node with koffi, modprobes modules from the list, formats an ext4 file system, starts the
 * runc helper (its usage line proves the binary is for the guest's architecture), asks runc.mjs for
 * its version and starts containerd.mjs until its socket is served (which needs its .proto files).
 * Needs `npm run build` (dist/guest, dist/native) and the tools from scripts/setup-host.sh.
 */
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT_DISK_SERIAL } from '../../guest/api/guest-layout.js';
import { createImageBuilder, guestNodePath, readImageManifest } from '../../src/image/builder.js';
import { canRunGuestNode } from '../../src/image/code-cache.js';
import type { GuestArch, GuestImage } from '../../src/image/guest-image.js';

const BEGIN = 'TSD-IMAGE-TEST-BEGIN';
const END = 'TSD-IMAGE-TEST-END';
const MODULES = ['ext4', 'virtio_net', 'nf_tables', 'overlay', '9p', 'bridge'];

/**
 * The guest-side test, run by busybox sh as the init (`rdinit=/bin/sh -- -c "…"`; with a root disk,
 * `rdinit=/init tsd_next=/bin/sh -- -c "…"`: stage 1 mounts the disk and runs the shell). The kernel
 * command line keeps a double-quoted string as one argument, so the script uses no double quotes;
 * JavaScript strings are in backticks.
 */
const SCRIPT = [
  `echo ${BEGIN}`,
  // with a root disk, stage 1 has mounted these already (busy); later checks fail if one is missing
  'mount -t proc proc /proc 2>/dev/null',
  'mount -t sysfs sys /sys 2>/dev/null',
  'mount -t devtmpfs dev /dev 2>/dev/null',
  // the root: the initramfs (rootfs), or the root disk under an overlay (stage 1)
  "echo ROOT-FS $(grep -m1 ' / ' /proc/mounts | cut -d' ' -f3)",
  'echo KERNEL-RELEASE $(uname -r)',
  // koffi resolves from /opt/tsd/node_modules; calling getpid through it proves the .node loads.
  "cd /opt/tsd && /usr/bin/node --input-type=module -e 'const k = (await import(`koffi`)).default; const getpid = k.load(`libc.so.6`).func(`int getpid()`); console.log(`NODE-OK`, process.version, process.arch, `KOFFI-OK`, k.version, String(getpid() > 1))'",
  `for m in ${MODULES.join(' ')}; do modprobe $m && echo MODPROBE-OK-$m; done`,
  'dd if=/dev/zero of=/tmp/disk bs=1M count=16 2>/dev/null && mkfs.ext4 -q -F /tmp/disk && echo MKFS-OK',
  '/sbin/tini --version',
  'test -s /etc/ssl/certs/ca-certificates.crt && echo CA-OK',
  'test -x /init && test -s /opt/tsd/init.mjs && test -s /opt/tsd/manifest.json && echo LAYOUT-OK',
  // The helper without arguments prints its usage and exits 2; a wrong-architecture binary cannot start.
  'helper=/opt/tsd/native/$(uname -m)/tsd-runc-helper',
  'test -x $helper && echo HELPER-EXECUTABLE',
  '$helper; echo HELPER-EXIT-$?',
  '/usr/bin/node /opt/tsd/runc.mjs --version',
  // sshd.cjs with no arguments runs sshd, which exits 2 asking for its keys; it says so when V8 rejects its cache.
  'test -s /opt/tsd/sshd.cjs.v8 && echo SSHD-CODE-CACHE-PRESENT',
  '/usr/bin/node /opt/tsd/sshd.cjs 2>&1; echo SSHD-CJS-EXIT-$?',
  // containerd loads its protos before it listens: ready (or its error) shows whether they were found.
  '/usr/bin/node /opt/tsd/containerd.mjs --address /run/c.sock --root /tmp/cr --state /tmp/cs >/tmp/c.log 2>&1 & cpid=$!',
  'while kill -0 $cpid 2>/dev/null && ! grep -q ready /tmp/c.log; do sleep 1; done',
  'cat /tmp/c.log',
  'test -S /run/c.sock && echo CONTAINERD-SOCKET-OK',
  'kill $cpid',
  `echo ${END}`,
  'poweroff -f',
].join('; ');

interface Board {
  qemu: string;
  machine: string;
  console: string;
  virtioBlk: string;
}

const BOARDS: Record<GuestArch, Board> = {
  x86_64: { qemu: 'qemu-system-x86_64', machine: 'microvm,acpi=on,rtc=on', console: 'ttyS0', virtioBlk: 'virtio-blk-device' },
  aarch64: { qemu: 'qemu-system-aarch64', machine: 'virt', console: 'ttyAMA0', virtioBlk: 'virtio-blk-pci' },
};

/**
 * Under tcg the guest's TSC runs at the host's rate. When the host is busy, the kernel's PIT
 * calibration of the TSC fails on microvm (no HPET/PM timer to fall back on) and the boot hangs
 * with no clock; giving the frequency (tsc_early_khz) skips the calibration. The host's rate is
 * read from /proc/cpuinfo.
 */
async function x86ClockArgs(): Promise<string[]> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const mhz = /^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo)?.[1];
  return mhz === undefined ? [] : [`tsc_early_khz=${Math.round(Number(mhz) * 1000)}`];
}

/** Boots the image once; resolves with the serial log when QEMU exits or the timeout kills it. */
async function bootOnce(image: GuestImage, serialLog: string, timeoutMs: number): Promise<{ log: string; timedOut: boolean }> {
  const board = BOARDS[image.arch];
  const clock = image.arch === 'x86_64' ? await x86ClockArgs() : [];
  // With a root disk, stage 1 (the image's /init) mounts it and runs tsd_next in its place of stage 2.
  const init = image.rootDiskPath === undefined ? ['rdinit=/bin/sh'] : [...image.kernelArgs, 'tsd_next=/bin/sh'];
  const rootDisk = image.rootDiskPath === undefined ? [] : [
    '-drive', `if=none,id=root,file=${image.rootDiskPath},format=raw,readonly=on`,
    '-device', `${board.virtioBlk},drive=root,serial=${ROOT_DISK_SERIAL}`,
  ];
  const args = [
    '-M', board.machine, '-accel', 'tcg', '-cpu', 'max', '-m', '512M',
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-serial', `file:${serialLog}`,
    '-kernel', image.kernelPath,
    '-initrd', image.initrdPath,
    ...rootDisk,
    '-append', [`console=${board.console}`, 'panic=-1', 'quiet', ...clock, ...init, `-- -c "${SCRIPT}"`].join(' '),
  ];
  const child = spawn(board.qemu, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => resolve());
  });
  clearTimeout(timer);
  const log = await readFile(serialLog, 'utf8').catch(() => '');
  return { log: stderr ? `${log}\n[qemu stderr] ${stderr}` : log, timedOut };
}

/** A tcg boot occasionally hangs: one retry, and the serial log in the failure message. */
async function boot(image: GuestImage, dir: string, timeoutMs: number): Promise<string> {
  let last = '';
  for (const attempt of [1, 2]) {
    const { log, timedOut } = await bootOnce(image, join(dir, `serial-${image.arch}-${attempt}.log`), timeoutMs);
    if (log.includes(END)) return log;
    last = `attempt ${attempt} ${timedOut ? `timed out after ${timeoutMs / 1000} s` : 'ended without the end marker'}:\n${log.slice(-6000)}`;
  }
  throw new Error(`the ${image.arch} guest did not finish the test script\n${last}`);
}

async function checkBoot(t: import('ava').ExecutionContext, image: GuestImage, timeoutMs: number): Promise<void> {
  const manifest = await readImageManifest(image.manifestPath);
  const dir = await mkdtemp(join(tmpdir(), 'tsd-image-test-'));
  try {
    const log = await boot(image, dir, timeoutMs);
    const fail = (what: string): string => `${what}\n--- serial log ---\n${log.slice(-6000)}`;
    t.false(log.includes('Initramfs unpacking failed'), fail('the initramfs did not unpack cleanly'));
    t.true(log.includes(BEGIN), fail('no begin marker'));
    t.true(log.includes(`ROOT-FS ${manifest.root.filesystem === 'initramfs' ? 'rootfs' : 'overlay'}`), fail(`the root is not the ${manifest.root.filesystem} layout`));
    t.true(log.includes(`KERNEL-RELEASE ${manifest.kernel.release}`), fail('unexpected kernel release'));
    const nodeArch = image.arch === 'x86_64' ? 'x64' : 'arm64';
    t.true(log.includes(`NODE-OK v${manifest.node.version} ${nodeArch} KOFFI-OK ${manifest.nodeModules[0]!.version} true`), fail('node/koffi line missing'));
    for (const module of MODULES) t.true(log.includes(`MODPROBE-OK-${module}`), fail(`modprobe ${module} failed`));
    t.true(log.includes('MKFS-OK'), fail('mkfs.ext4 failed'));
    t.regex(log, /tini version \d+\.\d+\.\d+/, fail('tini did not run'));
    t.true(log.includes('CA-OK'), fail('no CA bundle'));
    t.true(log.includes('LAYOUT-OK'), fail('layout incomplete'));
    t.true(log.includes('HELPER-EXECUTABLE'), fail(`/opt/tsd/native/${image.arch}/tsd-runc-helper missing or not executable`));
    t.true(log.includes('usage: tsd-runc-helper init SYNC_FD'), fail('the runc helper did not start'));
    t.true(log.includes('HELPER-EXIT-2'), fail('the runc helper did not exit with its usage status'));
    t.regex(log, /tsd-runc version \d+\.\d+\.\d+/, fail('runc.mjs --version failed'));
    t.true(log.includes('tsd-containerd ready on /run/c.sock'), fail('containerd.mjs did not start (its protos?)'));
    t.true(log.includes('CONTAINERD-SOCKET-OK'), fail('containerd.mjs did not create its socket'));
    t.true(log.includes('SSHD-CJS-EXIT-2') && log.includes('--host-key and --authorized-keys are required'), fail('sshd.cjs did not run'));
    // x86_64 images built on linux/x64 carry sshd's code cache, made by the guest's Node on the host; the guest's V8 must take it
    t.is(log.includes('SSHD-CODE-CACHE-PRESENT'), canRunGuestNode(image.arch), fail('sshd.cjs.v8 presence'));
    t.false(log.includes('code cache rejected'), fail('the guest rejected the code cache made at build time'));
    if (image.arch === 'x86_64') t.is(manifest.kernel.hz, 250, 'Debian amd64 kernels run at HZ 250 (the driver\'s lpj=)');
    t.deepEqual(manifest.artifacts.map((artifact) => artifact.guestPath).sort(), [
      '/opt/tsd/bin/containerd-shim-tsd-v2',
      '/opt/tsd/bin/tsd-runc',
      '/opt/tsd/containerd-proto',
      `/opt/tsd/native/${image.arch}/tsd-runc-helper`,
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * dist/guest and dist/native are shared with whoever runs `npm run build` meanwhile: the tests build
 * from a snapshot of them, so that every ensure() below sees the same inputs.
 */
let snapshotDir = '';
let bundlesDir = '';
let nativeDir = '';
test.before(async () => {
  snapshotDir = await mkdtemp(join(tmpdir(), 'tsd-image-inputs-'));
  bundlesDir = join(snapshotDir, 'guest');
  nativeDir = join(snapshotDir, 'native');
  await cp(fileURLToPath(new URL('../../dist/guest', import.meta.url)), bundlesDir, {
    recursive: true,
    filter: (source) => !source.endsWith('.map'),
  });
  await cp(fileURLToPath(new URL('../../dist/native', import.meta.url)), nativeDir, { recursive: true });
});
test.after.always(async () => {
  if (snapshotDir !== '') await rm(snapshotDir, { recursive: true, force: true });
});

test.serial('x86_64: the image builds reproducibly and boots on microvm under tcg', async (t) => {
  t.timeout(20 * 60_000);
  const progress = (line: string): void => t.log(line);
  const first = await createImageBuilder({ bundlesDir, nativeDir }).ensure('x86_64', { onProgress: progress });
  const again = await createImageBuilder({ bundlesDir, nativeDir, rebuild: true }).ensure('x86_64', { onProgress: progress });
  t.is(again.digest, first.digest, 'assembling the same inputs again gives the same digest');
  const cached = await createImageBuilder({ bundlesDir, nativeDir }).ensure('x86_64');
  t.deepEqual(cached, first);

  const manifest = await readImageManifest(first.manifestPath);
  t.log(`kernel ${manifest.files.kernel.size} B, initrd ${manifest.files.initrd.size} B (${manifest.compression}), raw ${manifest.initrdRawSize} B, root disk ${manifest.files.rootDisk?.size ?? 0} B (${JSON.stringify(manifest.root)}), compressed total ${manifest.compressedSize} B`);
  t.true(manifest.compressedSize <= 60_000_000, 'the image (initramfs + root disk + Debian\'s compressed kernel) stays within 60 MB');
  t.true(manifest.modules.files.some((file) => file.endsWith('/ext4.ko')));

  // host mode runs the very node binary the image ships
  const node = await guestNodePath('x86_64');
  const version = await new Promise<string>((resolve, reject) => {
    execFile(node, ['--version'], (error, stdout) => (error ? reject(error) : resolve(stdout.trim())));
  });
  t.is(version, `v${manifest.node.version}`);
  await checkBoot(t, first, 180_000);
});

test.serial('aarch64: the image builds and boots on virt under tcg', async (t) => {
  t.timeout(25 * 60_000);
  const image = await createImageBuilder({ bundlesDir, nativeDir }).ensure('aarch64', { onProgress: (line) => t.log(line) });
  await checkBoot(t, image, 300_000);
});
