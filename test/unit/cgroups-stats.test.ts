import test from 'ava';
import { buildV1Stats, parseBlkio } from '../../guest/runc/cgroups/v1/stats.js';
import { buildV2Stats, parseIoStat } from '../../guest/runc/cgroups/v2/stats.js';

test('v1 stats: cpuacct ticks → ns, memory entries, oom kills, pids, blkio, hugetlb', (t) => {
  const stats = buildV1Stats({
    'cpuacct/cpuacct.usage': '5000000',
    'cpuacct/cpuacct.usage_percpu': '3000000 2000000 ',
    'cpuacct/cpuacct.stat': 'user 3\nsystem 1',
    'cpu/cpu.stat': 'nr_periods 10\nnr_throttled 4\nthrottled_time 123456',
    'memory/memory.stat': 'cache 4096\nrss 8192\ntotal_cache 4096',
    'memory/memory.usage_in_bytes': '12288',
    'memory/memory.max_usage_in_bytes': '20480',
    'memory/memory.limit_in_bytes': '67108864',
    'memory/memory.failcnt': '2',
    'memory/memory.memsw.usage_in_bytes': '12288',
    'memory/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 1',
    'pids/pids.current': '3',
    'pids/pids.max': 'max',
    'blkio/blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write 0\nTotal 4096',
    'hugetlb/hugetlb.2MB.usage_in_bytes': '2097152',
  }, ['2MB']);
  t.deepEqual(stats.cpu, {
    usage: { total: 5000000, percpu: [3000000, 2000000], kernel: 10_000_000, user: 30_000_000 },
    throttling: { periods: 10, throttled_periods: 4, throttled_time: 123456 },
  });
  t.is(stats.memory?.cache, 4096);
  t.deepEqual(stats.memory?.usage, { usage: 12288, max: 20480, limit: 67108864, failcnt: 2 });
  t.is(stats.memory?.swap.usage, 12288);
  t.is(stats.memory?.oom_kill, 1);
  t.deepEqual(stats.pids, { current: 3, limit: 0 });
  t.deepEqual(stats.blkio?.ioServiceBytesRecursive, [{ major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 0 }]);
  t.deepEqual(stats.blkio?.ioServicedRecursive, []);
  t.deepEqual(stats.hugetlb, { '2MB': { usage: 2097152, max: 0, failcnt: 0 } });
  t.deepEqual(buildV1Stats({}, []), {}, 'controllers that are absent are left out');
  t.deepEqual(parseBlkio(''), []);
});

test('v2 stats: usec → ns, memory.events, io.stat, limits "max"', (t) => {
  const stats = buildV2Stats({
    'cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 7\nnr_throttled 2\nthrottled_usec 30',
    'memory.current': '1048576',
    'memory.max': 'max',
    'memory.peak': '2097152',
    'memory.stat': 'anon 4096\nfile 8192',
    'memory.events': 'low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\noom_group_kill 0',
    'memory.swap.current': '0',
    'memory.swap.max': '0',
    'pids.current': '2',
    'pids.max': '64',
    'io.stat': '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n',
  }, []);
  t.deepEqual(stats.cpu, { usage: { total: 1_500_000, kernel: 500_000, user: 1_000_000 }, throttling: { periods: 7, throttled_periods: 2, throttled_time: 30_000 } });
  t.is(stats.memory?.cache, 8192);
  t.deepEqual(stats.memory?.usage, { usage: 1048576, max: 2097152, limit: 18446744073709551615, failcnt: 5 });
  t.is(stats.memory?.swap.limit, 0);
  t.is(stats.memory?.oom_kill, 1);
  t.deepEqual(stats.pids, { current: 2, limit: 64 });
  t.deepEqual(parseIoStat('8:0 rbytes=4096 wbytes=8192 rios=1 wios=2'), {
    ioServiceBytesRecursive: [{ major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 8192 }],
    ioServicedRecursive: [{ major: 8, minor: 0, op: 'Read', value: 1 }, { major: 8, minor: 0, op: 'Write', value: 2 }],
  });
  t.deepEqual(stats.blkio, parseIoStat('8:0 rbytes=4096 wbytes=8192 rios=1 wios=2'));
});
