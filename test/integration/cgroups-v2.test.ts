/**
 * cgroup v2 code paths for real on a hybrid host: cgroup2 is mounted at
 * /sys/fs/cgroup/unified but the kernel binds cpu, memory, pids, io... to v1 there, so only
 * what the unified hierarchy offers here is tested: joining, controller delegation (hugetlb
 * is the one v2 controller here), the v2 freezer, pids, core cpu.stat, hugetlb limits, the
 * eBPF device filter (device programs work on any cgroup2 directory), errors for controllers
 * that are absent, destroy. The guest (pure v2) is tested in e2e.
 */
import test from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cgroupManagerFor } from '../../guest/runc/cgroups/index.js';
import { removeCgroup, waitUntil } from '../../guest/runc/cgroups/files.js';

const UNIFIED = '/sys/fs/cgroup/unified';
const PARENT = `/tsdtest-v2-${process.pid}`;
const rootControl = join(UNIFIED, 'cgroup.subtree_control');
const before = existsSync(rootControl) ? readFileSync(rootControl, 'utf8').trim().split(/\s+/).filter(Boolean) : [];

test.after.always(async () => {
  await removeCgroup(join(UNIFIED, PARENT));
  // apply() delegates controllers from the root down; give back what this test enabled.
  const now = readFileSync(rootControl, 'utf8').trim().split(/\s+/).filter(Boolean);
  const added = now.filter((c) => !before.includes(c));
  try {
    if (added.length > 0) writeFileSync(rootControl, added.map((c) => `-${c}`).join(' '));
  } catch {
    // EBUSY: another cgroup (not ours) now delegates it further; leaving it enabled is harmless.
  }
});

function start(script: string): { proc: ChildProcess; exited: Promise<void> } {
  const proc = spawn('/bin/busybox', ['sh', '-c', script], { stdio: 'ignore' });
  return { proc, exited: new Promise((resolve) => proc.on('exit', () => resolve())) };
}

test.serial('v2: join, delegate, freeze/thaw a counter, pids, stats, hugetlb limit, destroy', async (t) => {
  const manager = cgroupManagerFor({ cgroupsPath: `${PARENT}/c1`, containerId: 'c1', mode: 'v2' });
  t.deepEqual(manager.dirs, { unified: join(UNIFIED, PARENT, 'c1') });
  const file = `/tmp/tsdtest-v2-counter-${process.pid}`;
  const { proc, exited } = start(`i=0; while true; do i=$((i+1)); echo $i > ${file}; sleep 0.02; done`);
  try {
    await manager.apply(proc.pid!);
    t.regex(readFileSync(`/proc/${proc.pid}/cgroup`, 'utf8'), new RegExp(`^0::${PARENT}/c1$`, 'm'));
    const offered = readFileSync(join(UNIFIED, 'cgroup.controllers'), 'utf8').trim();
    t.is(readFileSync(join(UNIFIED, PARENT, 'cgroup.subtree_control'), 'utf8').trim(), offered, 'every offered controller delegated');

    const count = async () => Number((await readFile(file, 'utf8').catch(() => '0')).trim() || 0);
    await waitUntil(async () => (await count()) > 2, 'the counter runs');
    const pids = await manager.pids();
    t.true(pids.includes(proc.pid!));

    await manager.freeze();
    t.true(await manager.isFrozen());
    t.regex(readFileSync(join(manager.dirs.unified!, 'cgroup.events'), 'utf8'), /^frozen 1$/m);
    const frozenAt = await count();
    await sleep(300);
    t.is(await count(), frozenAt, 'no progress while frozen');
    await manager.thaw();
    t.false(await manager.isFrozen());
    await waitUntil(async () => (await count()) > frozenAt + 2, 'the counter runs again');

    const stats = await manager.stats();
    t.true((stats.cpu?.usage.total ?? 0) > 0, 'cpu.stat usage_usec is real');
    t.is(stats.memory, undefined, 'no memory controller on this host\'s v2');

    if (offered.split(' ').includes('hugetlb')) {
      await manager.set({ hugepageLimits: [{ pageSize: '2MB', limit: 4 * 2097152 }] });
      t.is(readFileSync(join(manager.dirs.unified!, 'hugetlb.2MB.max'), 'utf8').trim(), String(4 * 2097152));
      t.deepEqual((await manager.stats()).hugetlb?.['2MB'], { usage: 0, max: 0, failcnt: 0 });
    }

    const memory = await t.throwsAsync(manager.set({ memory: { limit: 1 << 24 } }));
    t.regex(memory.message, /failed to write "16777216" to \/sys\/fs\/cgroup\/unified\/tsdtest-v2-\d+\/c1\/memory.max: ENOENT \(file missing: controller not enabled/);
    t.is(await manager.memoryEvents(), undefined);
  } finally {
    proc.kill('SIGKILL');
    if (await manager.isFrozen().catch(() => false)) await manager.thaw();
    await exited;
    await rm(file, { force: true });
  }
  await waitUntil(async () => (await manager.pids()).length === 0, 'the cgroup is empty');
  await manager.destroy();
  t.false(await manager.exists());
  t.false(existsSync(join(UNIFIED, PARENT, 'c1')));
});

test.serial('v2: destroy removes nested cgroups the container created', async (t) => {
  const manager = cgroupManagerFor({ cgroupsPath: `${PARENT}/c2`, containerId: 'c2', mode: 'v2' });
  const { proc, exited } = start('sleep 60');
  await manager.apply(proc.pid!);
  const nested = join(manager.dirs.unified!, 'inner', 'deeper');
  await import('node:fs/promises').then((fs) => fs.mkdir(nested, { recursive: true }));
  proc.kill('SIGKILL');
  await exited;
  await waitUntil(async () => (await manager.pids()).length === 0, 'the cgroup is empty');
  await manager.destroy();
  t.false(await manager.exists());
});

test.serial('v2 devices: the eBPF filter denies what the rules deny, and update replaces it', async (t) => {
  const manager = cgroupManagerFor({ cgroupsPath: `${PARENT}/c3`, containerId: 'c3', mode: 'v2' });
  const scratch = `/tmp/tsdtest-v2-zero-${process.pid}`;
  const proc = spawn('/bin/busybox', ['sh', '-c', [
    'read go',
    'cat /dev/null && echo null-ok',
    `head -c1 /dev/zero > ${scratch} && echo zero-ok`,
    'echo x > /dev/null && echo null-write-ok',
    'read go',
    `head -c1 /dev/zero > ${scratch} && echo zero-ok-after-update`,
  ].join('; ')]);
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  try {
    await manager.apply(proc.pid!);
    // Docker's shape: deny everything, then allow /dev/null read-only.
    await manager.set({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'r' }] });
    proc.stdin.write('go\n');
    await waitUntil(async () => err.includes('/dev/null'), 'the first probes ran');
    t.regex(out, /null-ok/);
    t.notRegex(out, /zero-ok/);
    t.notRegex(out, /null-write-ok/, 'write access was not granted');
    t.regex(err, /\/dev\/zero: Operation not permitted/);
    t.regex(err, /can't create \/dev\/null: Operation not permitted/);
    await manager.set({ devices: [{ allow: true, access: 'rwm' }] });
    proc.stdin.write('go\n');
    await exited;
    t.regex(out, /zero-ok-after-update/);
  } finally {
    proc.kill('SIGKILL');
    await exited;
    await rm(scratch, { force: true });
  }
  await waitUntil(async () => (await manager.pids()).length === 0, 'the cgroup is empty');
  await manager.destroy();
});
