import test from 'ava';
import { cgroupManagerFor } from '../../guest/runc/cgroups/index.js';
import { detectMode, hierarchyPath, parseMountinfo, parseProcCgroup } from '../../guest/runc/cgroups/layout.js';

// A hybrid host like this one (cpu and cpuacct co-mounted here, unlike the CI host).
const HYBRID_MOUNTINFO = `
25 30 0:22 / /sys rw,nosuid - sysfs sysfs rw
26 25 0:23 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755
27 26 0:24 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
28 26 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
29 26 0:26 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
30 26 0:27 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
31 26 0:28 /docker/abc /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
`;
const HYBRID_CGROUP = '5:pids:/docker/abc/sub\n4:memory:/user.slice\n3:cpu,cpuacct:/\n1:name=systemd:/init.scope\n0::/init.scope\n';

const UNIFIED_MOUNTINFO = '35 24 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n';

test('mountinfo: v1 controllers (co-mounted too) and the unified mount', (t) => {
  const m = parseMountinfo(HYBRID_MOUNTINFO);
  t.deepEqual(m.unified, { mountpoint: '/sys/fs/cgroup/unified', root: '/' });
  t.is(m.v1.get('cpu')?.mountpoint, '/sys/fs/cgroup/cpu,cpuacct');
  t.is(m.v1.get('cpuacct')?.mountpoint, '/sys/fs/cgroup/cpu,cpuacct');
  t.is(m.v1.get('name=systemd')?.mountpoint, '/sys/fs/cgroup/systemd');
  t.deepEqual(m.v1.get('pids'), { mountpoint: '/sys/fs/cgroup/pids', root: '/docker/abc' });
  t.false(m.v1.has('freezer'));
});

test('/proc/self/cgroup and mode detection', (t) => {
  const own = parseProcCgroup(HYBRID_CGROUP);
  t.is(own.unified, '/init.scope');
  t.is(own.v1.get('cpuacct'), '/');
  t.is(own.v1.get('memory'), '/user.slice');
  t.is(detectMode({ ...parseMountinfo(HYBRID_MOUNTINFO), own }), 'v1', 'hybrid uses the v1 controllers, like runc');
  t.is(detectMode({ ...parseMountinfo(UNIFIED_MOUNTINFO), own: parseProcCgroup('0::/\n') }), 'v2');
  t.throws(() => detectMode({ v1: new Map(), own: { v1: new Map() } }), { message: /no cgroup hierarchy/ });
});

test('cgroupsPath: absolute as is, relative under the caller, default /tsd-runc/<id>, no escape', (t) => {
  t.is(hierarchyPath(undefined, 'abc', '/x'), '/tsd-runc/abc');
  t.is(hierarchyPath('', 'abc', '/x'), '/tsd-runc/abc');
  t.is(hierarchyPath('/docker/abc', 'abc', '/x'), '/docker/abc');
  t.is(hierarchyPath('/a/../../b', 'abc', '/x'), '/b');
  t.is(hierarchyPath('kubepods/pod1/abc', 'abc', '/user.slice'), '/user.slice/kubepods/pod1/abc');
  t.is(hierarchyPath('../../etc', 'abc', '/user.slice'), '/user.slice/etc');
});

test('managers resolve dirs per controller from the layout', (t) => {
  const layout = { ...parseMountinfo(HYBRID_MOUNTINFO), own: parseProcCgroup(HYBRID_CGROUP) };
  const abs = cgroupManagerFor({ cgroupsPath: '/tsd/c1', containerId: 'c1', layout });
  t.is(abs.mode, 'v1');
  t.is(abs.path, '/tsd/c1');
  t.deepEqual(abs.dirs, {
    cpu: '/sys/fs/cgroup/cpu,cpuacct/tsd/c1',
    cpuacct: '/sys/fs/cgroup/cpu,cpuacct/tsd/c1',
    memory: '/sys/fs/cgroup/memory/tsd/c1',
    'name=systemd': '/sys/fs/cgroup/systemd/tsd/c1',
    pids: '/sys/fs/cgroup/pids/tsd/c1',
  });
  const rel = cgroupManagerFor({ cgroupsPath: 'c1', containerId: 'c1', layout });
  t.is(rel.path, '/user.slice/c1', 'the memory controller names the path');
  t.is(rel.dirs.memory, '/sys/fs/cgroup/memory/user.slice/c1');
  t.is(rel.dirs.pids, '/sys/fs/cgroup/pids/sub/c1', 'a mount of a sub-tree drops its root');
  const v2 = cgroupManagerFor({ cgroupsPath: undefined, containerId: 'c1', layout, mode: 'v2' });
  t.is(v2.path, '/tsd-runc/c1');
  t.deepEqual(v2.dirs, { unified: '/sys/fs/cgroup/unified/tsd-runc/c1' });
  const guest = cgroupManagerFor({
    cgroupsPath: 'c1', containerId: 'c1', layout: { ...parseMountinfo(UNIFIED_MOUNTINFO), own: parseProcCgroup('0::/tsd.slice\n') },
  });
  t.is(guest.mode, 'v2');
  t.deepEqual(guest.dirs, { unified: '/sys/fs/cgroup/tsd.slice/c1' });
});
