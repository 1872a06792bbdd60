/** The file writes planned for v1 and v2 (pure; the real writes are in test/integration). */
import test from 'ava';
import { planV1, type V1Facts } from '../../guest/runc/cgroups/v1/resources.js';
import { planV2 } from '../../guest/runc/cgroups/v2/resources.js';

const GiB = 2 ** 30;
const facts: V1Facts = { memswAvailable: true, currentMemoryLimit: 1 << 30, blkioWeightFile: 'blkio.weight' };
const lines = (writes: { dir: string; file: string; value: string }[]) => writes.map((w) => `${w.dir}/${w.file}=${w.value}`);

test('v1 memory: limit, memsw, reservation, swappiness, oom killer; write order keeps memsw ≥ memory', (t) => {
  t.deepEqual(lines(planV1({ memory: { limit: 100, swap: 300, reservation: 50, swappiness: 10, disableOOMKiller: true, kernel: 5 } }, facts)), [
    'memory/memory.limit_in_bytes=100',
    'memory/memory.memsw.limit_in_bytes=300',
    'memory/memory.soft_limit_in_bytes=50',
    'memory/memory.swappiness=10',
    'memory/memory.oom_control=1',
  ], 'lowering below the current limit: memory first');
  t.deepEqual(lines(planV1({ memory: { limit: 2 * GiB, swap: 3 * GiB } }, facts)), [
    `memory/memory.memsw.limit_in_bytes=${3 * GiB}`,
    `memory/memory.limit_in_bytes=${2 * GiB}`,
  ], 'raising above the current limit: memsw first');
  t.deepEqual(lines(planV1({ memory: { limit: -1 } }, facts)), [
    'memory/memory.memsw.limit_in_bytes=-1',
    'memory/memory.limit_in_bytes=-1',
  ], 'unlimited memory takes unlimited swap along');
  t.throws(() => planV1({ memory: { limit: 100, swap: 200 } }, { ...facts, memswAvailable: false }), { message: /no swap accounting/ });
  t.throws(() => planV1({ memory: { swappiness: 101 } }, facts), { message: /swappiness: 101/ });
  t.throws(() => planV1({ memory: { limit: -5 } }, facts), { message: /memory\.limit: -5 is not/ });
  t.throws(() => planV2({ memory: { reservation: 1.5 } }, { bfq: false }), { message: /memory\.reservation: 1\.5 is not/ });
});

test('v1 cpu: shares, period/quota with the EINVAL-tolerant period retry, cpuset, rt', (t) => {
  const writes = planV1({ cpu: { shares: 512, quota: 20000, period: 50000, cpus: '0-1', mems: '0', realtimePeriod: 1000, realtimeRuntime: 500 } }, facts);
  t.deepEqual(lines(writes), [
    'cpu/cpu.shares=512',
    'cpu/cpu.rt_period_us=1000',
    'cpu/cpu.rt_runtime_us=500',
    'cpu/cpu.cfs_period_us=50000',
    'cpu/cpu.cfs_quota_us=20000',
    'cpu/cpu.cfs_period_us=50000',
    'cpuset/cpuset.cpus=0-1',
    'cpuset/cpuset.mems=0',
  ]);
  t.is(writes[3]!.tolerate, 'EINVAL');
  t.is(writes[5]!.tolerate, undefined);
  t.deepEqual(lines(planV1({ cpu: { quota: -1 } }, facts)), ['cpu/cpu.cfs_quota_us=-1']);
});

test('v1 pids, blkio, hugetlb, devices, network; unified refused', (t) => {
  t.deepEqual(lines(planV1({ pids: { limit: 0 } }, facts)), ['pids/pids.max=max']);
  t.deepEqual(lines(planV1({
    blockIO: {
      weight: 300,
      weightDevice: [{ major: 8, minor: 0, weight: 200 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 100 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
    devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: true, type: 'c', major: 136, minor: -1, access: 'rw' }],
    network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }] },
  }, facts)), [
    'devices/devices.deny=a *:* rwm',
    'devices/devices.allow=c 1:3 rwm',
    'devices/devices.allow=c 136:* rw',
    'blkio/blkio.weight=300',
    'blkio/blkio.weight_device=8:0 200',
    'blkio/blkio.throttle.read_bps_device=8:0 1048576',
    'blkio/blkio.throttle.write_iops_device=8:16 100',
    'hugetlb/hugetlb.2MB.limit_in_bytes=4194304',
    'net_cls/net_cls.classid=1048577',
    'net_prio/net_prio.ifpriomap=eth0 5',
  ]);
  t.deepEqual(lines(planV1({ blockIO: { weight: 300 } }, { ...facts, blkioWeightFile: 'blkio.bfq.weight' })), ['blkio/blkio.bfq.weight=300']);
  t.throws(() => planV1({ blockIO: { weight: 300 } }, { ...facts, blkioWeightFile: undefined }), { message: /CFQ or BFQ/ });
  t.throws(() => planV1({ unified: { 'memory.high': '1000' } }, facts), { message: /cannot be set on cgroup v1/ });
  t.throws(() => planV1({ devices: [{ allow: true, access: 'rwx' }] }, facts), { message: /devices\[0\]\.access/ });
});

test('v2: memory with swap conversion, cpu weight/max, io, pids, hugetlb, unified', (t) => {
  t.deepEqual(lines(planV2({
    memory: { limit: 100, swap: 300, reservation: 50, swappiness: 10, kernel: 1 },
    cpu: { shares: 1024, quota: 50000, period: 100000, burst: 1000, cpus: '0', mems: '0' },
    pids: { limit: 32 },
    blockIO: {
      weight: 500,
      weightDevice: [{ major: 8, minor: 0, weight: 10 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 0 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 10 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 20 }],
    },
    hugepageLimits: [{ pageSize: '1GB', limit: 0 }],
    unified: { 'memory.high': '90', 'cpu.idle': '0' },
  }, { bfq: false })), [
    'unified/memory.swap.max=200',
    'unified/memory.max=100',
    'unified/memory.low=50',
    'unified/cpu.weight=100',
    'unified/cpu.max=50000 100000',
    'unified/cpu.max.burst=1000',
    'unified/cpuset.cpus=0',
    'unified/cpuset.mems=0',
    'unified/pids.max=32',
    'unified/io.weight=default 4950',
    'unified/io.weight=8:0 1',
    'unified/io.max=8:0 rbps=1048576',
    'unified/io.max=8:0 wbps=max',
    'unified/io.max=8:0 riops=10',
    'unified/io.max=8:0 wiops=20',
    'unified/hugetlb.1GB.max=0',
    'unified/memory.high=90',
    'unified/cpu.idle=0',
  ]);
  t.deepEqual(lines(planV2({ blockIO: { weight: 500 } }, { bfq: true })), ['unified/io.bfq.weight=500']);
  const unlimited = planV2({ memory: { limit: -1 } }, { bfq: false });
  t.deepEqual(lines(unlimited), ['unified/memory.swap.max=max', 'unified/memory.max=max']);
  t.true(unlimited[0]!.ifExists, 'no swap accounting: "max" already holds');
  const noSwap = planV2({ memory: { limit: 100, swap: 100 } }, { bfq: false });
  t.deepEqual(lines(noSwap), ['unified/memory.swap.max=0', 'unified/memory.max=100']);
  t.deepEqual(lines(planV2({ memory: { limit: 100 } }, { bfq: false })), ['unified/memory.max=100'], 'unset swap is left alone');
  t.throws(() => planV2({ memory: { swap: 100 } }, { bfq: false }), { message: /without a memory limit/ });
  t.throws(() => planV2({ cpu: { realtimeRuntime: 5 } }, { bfq: false }), { message: /realtime/ });
  t.throws(() => planV2({ network: { classID: 1 } }, { bfq: false }), { message: /net_cls/ });
  t.throws(() => planV2({ unified: { 'cgroup.procs': '1' } }, { bfq: false }), { message: /not a cgroup resource file/ });
  t.throws(() => planV2({ unified: { '../x': '1' } }, { bfq: false }), { message: /not a cgroup resource file/ });
});
