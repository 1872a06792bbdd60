/** The fast-path decision (guest/runc/state/fast-path.ts): what the C front end may do alone. */
import test from 'ava';
import type { Spec } from '../../guest/api/oci-runtime-spec.js';
import { defaultSpec } from '../../guest/runc/spec/default-spec.js';
import { fastPathFor, formatFastPath } from '../../guest/runc/state/fast-path.js';
import { RECORD_VERSION, type ContainerRecord } from '../../guest/runc/state/record.js';

function record(change?: (spec: Spec, r: ContainerRecord) => void): ContainerRecord {
  const spec = defaultSpec();
  const r: ContainerRecord = {
    version: RECORD_VERSION, id: 'c1', pid: 4242, pidStartTime: '987654', bundle: '/b', rootfs: '/b/rootfs',
    created: '2026-01-01T00:00:00.000Z', owner: '', spec, started: false,
    cgroup: { mode: 'v1', path: '/tsd-runc/c1', dirs: { pids: '/sys/fs/cgroup/pids/tsd-runc/c1', memory: '/sys/fs/cgroup/memory/tsd-runc/c1' } },
  };
  change?.(spec, r);
  return r;
}

test('a plain created container: start, delete, kill and force kill, with every cgroup dir', (t) => {
  const fast = fastPathFor(record(), true);
  t.is(formatFastPath(fast!), [
    'tsd-runc-fast-path 1', 'pid 4242', 'start-time 987654', 'start fifo', 'delete rmdir', 'kill init', 'force kill',
    'cgroup /sys/fs/cgroup/pids/tsd-runc/c1', 'cgroup /sys/fs/cgroup/memory/tsd-runc/c1', '',
  ].join('\n'));
});

test('hooks keep start and delete with the runtime; kill stays', (t) => {
  const hook = { path: '/bin/true' };
  const poststart = fastPathFor(record((s) => (s.hooks = { poststart: [hook] })), true)!;
  t.like(poststart, { start: false, delete: true, kill: true });
  const poststop = fastPathFor(record((s) => (s.hooks = { poststop: [hook] })), true)!;
  t.like(poststop, { start: true, delete: false, forceKill: false, kill: true });
  t.deepEqual(poststop.cgroupDirs.length, 2);
});

test('no exec fifo (run --detach) or already started: no fast start', (t) => {
  t.false(fastPathFor(record(), false)!.start);
  t.false(fastPathFor(record((_, r) => (r.started = true)), true)!.start);
});

test('force kill only with a new pid namespace (joining one, or none, leaves the killing to the runtime)', (t) => {
  const without = record((s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid')));
  t.false(fastPathFor(without, true)!.forceKill);
  const joined = record((s) => (s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'pid' ? { type: 'pid', path: '/proc/1/ns/pid' } : n))));
  t.false(fastPathFor(joined, true)!.forceKill);
});

test('no fast delete without recorded cgroup dirs, or with a dir the line format cannot carry', (t) => {
  t.like(fastPathFor(record((_, r) => delete r.cgroup), true), { delete: false, forceKill: false, cgroupDirs: [] });
  t.like(fastPathFor(record((_, r) => (r.cgroup!.dirs.pids = '/sys/fs/cgroup/pids/a\nb')), true), { delete: false, cgroupDirs: [] });
  t.like(fastPathFor(record((_, r) => (r.cgroup!.dirs.pids = 'relative/dir')), true), { delete: false });
});

test('no file at all when the init is not known by pid and start time', (t) => {
  t.is(fastPathFor(record((_, r) => (r.pid = 0)), true), undefined);
  t.is(fastPathFor(record((_, r) => (r.pidStartTime = '')), true), undefined);
});
