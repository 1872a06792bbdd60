/**
 * cgroup v1 for real, as root on a hybrid host (this machine and CI): limits are written to
 * the controller files AND enforced on real processes (busybox sh), the freezer stops work,
 * stats are the kernel's numbers, destroy leaves nothing.
 */
import test from 'ava';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CgroupManager, cgroupManagerFor } from '../../guest/runc/cgroups/index.js';
import { exists, removeCgroup, waitUntil } from '../../guest/runc/cgroups/files.js';

const PARENT = `/tsdtest-v1-${process.pid}`;
const BUSYBOX = '/bin/busybox';

interface Box {
  manager: CgroupManager;
  proc: ChildProcessWithoutNullStreams;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout: () => string;
  stderr: () => string;
  go: () => void;
}

/** Starts `script` in busybox sh; it waits for a line on stdin, so it only runs once inside the cgroup. */
async function boxed(name: string, script: string, resources?: Parameters<CgroupManager['set']>[0]): Promise<Box> {
  const manager = cgroupManagerFor({ cgroupsPath: `${PARENT}/${name}`, containerId: name, mode: 'v1' });
  const proc = spawn(BUSYBOX, ['sh', '-c', `read go; ${script}`]);
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });
  try {
    await manager.apply(proc.pid!);
    if (resources) await manager.set(resources);
  } catch (error) {
    proc.kill('SIGKILL');
    await exited;
    await manager.destroy();
    throw error;
  }
  return { manager, proc, exited, stdout: () => out, stderr: () => err, go: () => proc.stdin.write('go\n') };
}

/** Runs `body` with a boxed script and always tears the box down. */
async function withBox(
  name: string, script: string, resources: Parameters<CgroupManager['set']>[0] | undefined, body: (box: Box) => Promise<void>,
): Promise<void> {
  const manager = cgroupManagerFor({ cgroupsPath: `${PARENT}/${name}`, containerId: name, mode: 'v1' });
  let box: Box | undefined;
  try {
    box = await boxed(name, script, resources);
    await body(box);
  } finally {
    if (box) await teardown(box);
    else await manager.destroy();
  }
}

/** Kills what is left in the cgroup (only processes this test started) and removes it. */
async function teardown(box: Box): Promise<void> {
  box.proc.kill('SIGKILL');
  for (const pid of await box.manager.pids()) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  if (await box.manager.isFrozen().catch(() => false)) await box.manager.thaw();
  await box.exited;
  await waitUntil(async () => (await box.manager.pids()).length === 0, 'the cgroup is empty');
  await box.manager.destroy();
}

test.after.always(async () => {
  for (const controller of ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd']) {
    await removeCgroup(join('/sys/fs/cgroup', controller, PARENT));
  }
});

const read = (dir: string | undefined, file: string) => readFileSync(join(dir!, file), 'utf8').trim();

test.serial('apply joins every mounted controller; destroy leaves nothing', async (t) => {
  const box = await boxed('join', 'sleep 60');
  const { manager } = box;
  t.is(manager.mode, 'v1');
  t.is(manager.path, `${PARENT}/join`);
  const cgroupOfPid = readFileSync(`/proc/${box.proc.pid}/cgroup`, 'utf8');
  for (const controller of ['memory', 'pids', 'cpu', 'freezer', 'cpuset']) {
    t.regex(cgroupOfPid, new RegExp(`:${controller}:${PARENT}/join\\n`), controller);
  }
  t.deepEqual(await manager.pids(), [box.proc.pid!]);
  t.true(await manager.exists());
  box.proc.kill('SIGKILL');
  await teardown(box);
  t.false(await manager.exists());
  for (const dir of Object.values(manager.dirs)) t.false(await exists(dir), dir);
});

test.serial('pids limit: written to pids.max and a fork beyond it fails', async (t) => {
  // The shell plus 4 sleeps reach pids.max = 5: the fifth fork must fail.
  const starts = Array.from({ length: 8 }, (_, i) => `sleep 60 & echo started ${i + 1};`).join(' ');
  await withBox('pids', starts, { pids: { limit: 5 } }, async (box) => {
    t.is(read(box.manager.dirs.pids, 'pids.max'), '5');
    box.go();
    const { code } = await box.exited;
    t.not(code, 0);
    t.regex(box.stderr(), /can't fork/);
    t.deepEqual(box.stdout().trim().split('\n'), ['started 1', 'started 2', 'started 3', 'started 4']);
    t.is((await box.manager.pids()).length, 4, 'the four sleeps are still inside');
    t.is((await box.manager.stats()).pids?.current, 4);
    t.is((await box.manager.stats()).pids?.limit, 5);
  });
});

test.serial('memory limit: a memory hog is OOM-killed and the kill is reported', async (t) => {
  const limit = 32 * 1024 * 1024;
  // The shell doubles a string until the cgroup runs out of memory.
  await withBox('oom', 'x=aaaaaaaaaaaaaaaa; while true; do x="$x$x"; done', { memory: { limit, swap: limit } }, async (box) => {
    t.is(read(box.manager.dirs.memory, 'memory.limit_in_bytes'), String(limit));
    t.is(read(box.manager.dirs.memory, 'memory.memsw.limit_in_bytes'), String(limit));
    t.false(await box.manager.oomKilled());
    box.go();
    const { signal } = await box.exited;
    t.is(signal, 'SIGKILL');
    t.true(await box.manager.oomKilled());
    const events = await box.manager.memoryEvents();
    t.true((events?.oomKill ?? 0) >= 1);
    const stats = await box.manager.stats();
    t.true((stats.memory?.oom_kill ?? 0) >= 1);
    t.true((stats.memory?.usage.max ?? 0) > limit / 2, `peak usage ${stats.memory?.usage.max} near the limit`);
    t.is(stats.memory?.usage.limit, limit);
  });
});

/** The counter the shell writes; the loop sleeps between steps to stay gentle on shared CPUs. */
async function counter(file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '0');
  return Number(text.trim() || 0);
}

test.serial('freeze stops a counter and thaw resumes it', async (t) => {
  const file = `/tmp/tsdtest-counter-${process.pid}`;
  await withBox('freeze', `i=0; while true; do i=$((i+1)); echo $i > ${file}; sleep 0.02; done`, undefined, async (box) => {
    box.go();
    await waitUntil(async () => (await counter(file)) > 2, 'the counter runs');
    await box.manager.freeze();
    t.true(await box.manager.isFrozen());
    t.is(read(box.manager.dirs.freezer, 'freezer.state'), 'FROZEN');
    const frozenAt = await counter(file);
    await sleep(300);
    t.is(await counter(file), frozenAt, 'no progress while frozen');
    await box.manager.thaw();
    t.false(await box.manager.isFrozen());
    await waitUntil(async () => (await counter(file)) > frozenAt + 2, 'the counter runs again');
    t.pass();
  });
  await rm(file, { force: true });
});

test.serial('cpu: quota, period and shares in the files; a busy loop gets throttled; stats are real', async (t) => {
  await withBox('cpu', 'while true; do :; done', { cpu: { shares: 512, quota: 10000, period: 100000, cpus: '0' } }, async (box) => {
    const { cpu, cpuset } = box.manager.dirs;
    t.is(read(cpu, 'cpu.cfs_quota_us'), '10000');
    t.is(read(cpu, 'cpu.cfs_period_us'), '100000');
    t.is(read(cpu, 'cpu.shares'), '512');
    t.is(read(cpuset, 'cpuset.cpus'), '0');
    box.go();
    await waitUntil(async () => ((await box.manager.stats()).cpu?.throttling.throttled_periods ?? 0) > 2, 'the loop is throttled');
    const stats = await box.manager.stats();
    t.true((stats.cpu?.usage.total ?? 0) > 0);
    t.true((stats.cpu?.throttling.throttled_time ?? 0) > 0);
    t.is(stats.cpu?.usage.percpu?.length, Number(readFileSync('/sys/fs/cgroup/cpuacct/cpuacct.usage_percpu', 'utf8').trim().split(/\s+/).length));
    // Live update, as `runc update` does.
    await box.manager.set({ cpu: { quota: 20000, period: 50000 }, pids: { limit: 100 } });
    t.is(read(cpu, 'cpu.cfs_quota_us'), '20000');
    t.is(read(cpu, 'cpu.cfs_period_us'), '50000');
    t.is(read(box.manager.dirs.pids, 'pids.max'), '100');
  });
});

test.serial('refused values fail with the file and the value named', async (t) => {
  await withBox('errors', 'sleep 60', undefined, async (box) => {
    const cpus = await t.throwsAsync(box.manager.set({ cpu: { cpus: '99' } }));
    t.regex(cpus.message, /failed to write "99" to \/sys\/fs\/cgroup\/cpuset\/tsdtest-v1-\d+\/errors\/cpuset.cpus: E[A-Z]+$/);
    const shares = await t.throwsAsync(box.manager.set({ cpu: { shares: 1 } }));
    t.regex(shares.message, /cpu.shares: 1 is out of range \(the kernel set 2\)/);
    const unified = await t.throwsAsync(box.manager.set({ unified: { 'memory.high': '1' } }));
    t.regex(unified.message, /cannot be set on cgroup v1/);
  });
});

test.serial('device rules: devices.list reflects deny-all plus the allowed devices, and access is denied', async (t) => {
  const devices = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c' as const, major: 1, minor: 3, access: 'rwm' }];
  await withBox('devices', 'cat /dev/null && echo null-ok; head -c1 /dev/zero >/dev/null || echo zero-denied', { devices }, async (box) => {
    t.is(read(box.manager.dirs.devices, 'devices.list'), 'c 1:3 rwm');
    box.go();
    await box.exited;
    t.regex(box.stdout(), /null-ok/);
    t.regex(box.stdout(), /zero-denied/);
    t.regex(box.stderr(), /\/dev\/zero: Operation not permitted/);
  });
});
