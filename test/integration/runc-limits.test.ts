/**
 * cgroup limits are enforced, not only written: a fork loop stops at the pids limit, a memory hog
 * is OOM-killed, the cpu quota is visible inside the container; update changes limits live;
 * pause and resume freeze and thaw.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { makeBusyboxBundle } from '../helpers/busybox-bundle.js';
import { RuncCli } from '../helpers/runc-cli.js';

const id = (name: string) => `tsdtest-${name}-${randomBytes(3).toString('hex')}`;
const cg = (controller: string, cid: string, file: string) => `/sys/fs/cgroup/${controller}/tsd-runc/${cid}/${file}`;

test('a fork loop stops at the pids limit', async (t) => {
  const runc = new RuncCli();
  const bundle = makeBusyboxBundle(['sh', '-c', 'i=0; while [ $i -lt 40 ]; do sleep 100 & i=$((i+1)); done; echo loop-done'], (s) => {
    s.linux!.resources = { ...s.linux!.resources, pids: { limit: 10 } };
  });
  const cid = id('pids');
  try {
    const r = await runc.run(['run', '-b', bundle.dir, cid]);
    t.regex(r.stderr, /can't fork|Resource temporarily unavailable/);
    t.deepEqual(runc.leftovers(), []);
  } finally {
    await runc.cleanup();
    bundle.remove();
  }
});

test('a memory hog is OOM-killed at the memory limit', async (t) => {
  const runc = new RuncCli();
  const limit = 32 * 1024 * 1024;
  // tail keeps a whole newline-free line in memory: 200 MB of zeros cannot fit in 32 MB.
  const bundle = makeBusyboxBundle(['sh', '-c', 'head -c 200000000 /dev/zero | tail -n 1 > /dev/null; echo rc=$?'], (s) => {
    s.linux!.resources = { ...s.linux!.resources, memory: { limit, swap: limit } };
  });
  const cid = id('oom');
  try {
    const r = await runc.run(['run', '-b', bundle.dir, cid]);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /rc=137/, 'tail was killed by SIGKILL (the OOM killer)');
    t.deepEqual(runc.leftovers(), []);
  } finally {
    await runc.cleanup();
    bundle.remove();
  }
});

test('cpu quota is written and visible inside; update changes limits live; pause and resume', async (t) => {
  const runc = new RuncCli();
  const bundle = makeBusyboxBundle(['sleep', '1000'], (s) => {
    s.linux!.resources = { ...s.linux!.resources, cpu: { quota: 50000, period: 100000 } };
  });
  const cid = id('cpu');
  try {
    await runc.ok(['run', '-d', '-b', bundle.dir, cid]);
    t.is(readFileSync(cg('cpu', cid, 'cpu.cfs_quota_us'), 'utf8').trim(), '50000');
    const inside = await runc.run(['exec', cid, 'cat', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us']);
    t.is(inside.stdout.trim(), '50000', inside.stderr);

    await runc.ok(['update', '--pids-limit', '7', '--cpu-quota', '20000', cid]);
    t.is(readFileSync(cg('pids', cid, 'pids.max'), 'utf8').trim(), '7');
    t.is(readFileSync(cg('cpu', cid, 'cpu.cfs_quota_us'), 'utf8').trim(), '20000');
    await runc.ok(['update', '--resources', '-', cid], { input: JSON.stringify({ memory: { limit: 64 * 1024 * 1024 } }) });
    t.is(Number(readFileSync(cg('memory', cid, 'memory.limit_in_bytes'), 'utf8')), 64 * 1024 * 1024);

    await runc.ok(['pause', cid]);
    t.is((await runc.state(cid)).status, 'paused');
    t.is(readFileSync(cg('freezer', cid, 'freezer.state'), 'utf8').trim(), 'FROZEN');
    const execPaused = await runc.run(['exec', cid, 'true']);
    t.is(execPaused.code, 1);
    t.regex(execPaused.stderr, /paused/);
    await runc.ok(['resume', cid]);
    t.is((await runc.state(cid)).status, 'running');
    t.is(readFileSync(cg('freezer', cid, 'freezer.state'), 'utf8').trim(), 'THAWED');

    const stats = JSON.parse(await runc.ok(['events', '--stats', cid])) as { type: string; id: string; data: { pids?: { current: number } } };
    t.is(stats.type, 'stats');
    t.is(stats.id, cid);
    t.is(stats.data.pids?.current, 1);

    await runc.ok(['delete', '--force', cid]);
    t.false(existsSync(cg('cpu', cid, '')));
    t.deepEqual(runc.leftovers(), []);
  } finally {
    await runc.cleanup();
    bundle.remove();
  }
});
