/**
 * cgroup v1 statistics: file contents → CgroupStats (pure), plus the reader.
 */
import type { BlkioEntry, CgroupStats, HugetlbStats, MemoryEntry } from '../cgroup-manager.js';
import { parseKeyValues, readOptional } from '../files.js';

/** cpuacct.stat counts USER_HZ ticks; USER_HZ is 100 on every Linux architecture we run on. */
const NS_PER_TICK = 1e9 / 100;

/** Contents of the files the stats are built from, keyed "controller/file". */
export type V1Files = Record<string, string | undefined>;

export const V1_STAT_FILES = [
  'cpuacct/cpuacct.usage', 'cpuacct/cpuacct.usage_percpu', 'cpuacct/cpuacct.stat', 'cpu/cpu.stat',
  'memory/memory.stat', 'memory/memory.usage_in_bytes', 'memory/memory.max_usage_in_bytes',
  'memory/memory.limit_in_bytes', 'memory/memory.failcnt', 'memory/memory.memsw.usage_in_bytes',
  'memory/memory.memsw.max_usage_in_bytes', 'memory/memory.memsw.limit_in_bytes', 'memory/memory.memsw.failcnt',
  'memory/memory.oom_control', 'pids/pids.current', 'pids/pids.max',
  'blkio/blkio.throttle.io_service_bytes_recursive', 'blkio/blkio.throttle.io_serviced_recursive',
  'blkio/blkio.io_service_bytes_recursive', 'blkio/blkio.io_serviced_recursive',
] as const;

const num = (text: string | undefined) => (text === undefined || text === '' ? 0 : Number(text));

export function buildV1Stats(f: V1Files, hugepageSizes: readonly string[]): CgroupStats {
  const stats: CgroupStats = {};
  if (f['cpuacct/cpuacct.usage'] !== undefined || f['cpu/cpu.stat'] !== undefined) {
    const acct = parseKeyValues(f['cpuacct/cpuacct.stat'] ?? '');
    const throttle = parseKeyValues(f['cpu/cpu.stat'] ?? '');
    const percpu = f['cpuacct/cpuacct.usage_percpu'];
    stats.cpu = {
      usage: {
        total: num(f['cpuacct/cpuacct.usage']),
        ...(percpu !== undefined ? { percpu: percpu.split(/\s+/).filter(Boolean).map(Number) } : {}),
        kernel: (acct.system ?? 0) * NS_PER_TICK,
        user: (acct.user ?? 0) * NS_PER_TICK,
      },
      throttling: {
        periods: throttle.nr_periods ?? 0,
        throttled_periods: throttle.nr_throttled ?? 0,
        throttled_time: throttle.throttled_time ?? 0,
      },
    };
  }
  if (f['memory/memory.usage_in_bytes'] !== undefined) {
    const raw = parseKeyValues(f['memory/memory.stat'] ?? '');
    const entry = (prefix: string): MemoryEntry => ({
      usage: num(f[`memory/${prefix}.usage_in_bytes`]),
      max: num(f[`memory/${prefix}.max_usage_in_bytes`]),
      limit: num(f[`memory/${prefix}.limit_in_bytes`]),
      failcnt: num(f[`memory/${prefix}.failcnt`]),
    });
    stats.memory = {
      cache: raw.total_cache ?? raw.cache ?? 0,
      usage: entry('memory'),
      swap: entry('memory.memsw'),
      raw,
      oom_kill: parseKeyValues(f['memory/memory.oom_control'] ?? '').oom_kill ?? 0,
    };
  }
  if (f['pids/pids.current'] !== undefined) {
    const max = f['pids/pids.max'];
    stats.pids = { current: num(f['pids/pids.current']), limit: max === undefined || max === 'max' ? 0 : Number(max) };
  }
  const bytes = f['blkio/blkio.throttle.io_service_bytes_recursive'] ?? f['blkio/blkio.io_service_bytes_recursive'];
  const ios = f['blkio/blkio.throttle.io_serviced_recursive'] ?? f['blkio/blkio.io_serviced_recursive'];
  if (bytes !== undefined || ios !== undefined) {
    stats.blkio = { ioServiceBytesRecursive: parseBlkio(bytes ?? ''), ioServicedRecursive: parseBlkio(ios ?? '') };
  }
  if (hugepageSizes.length > 0) {
    const hugetlb: Record<string, HugetlbStats> = {};
    for (const size of hugepageSizes) {
      hugetlb[size] = {
        usage: num(f[`hugetlb/hugetlb.${size}.usage_in_bytes`]),
        max: num(f[`hugetlb/hugetlb.${size}.max_usage_in_bytes`]),
        failcnt: num(f[`hugetlb/hugetlb.${size}.failcnt`]),
      };
    }
    stats.hugetlb = hugetlb;
  }
  return stats;
}

/** "8:0 Read 4096" lines; the trailing "Total N" line is dropped. */
export function parseBlkio(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) });
  }
  return out;
}

export async function readV1Stats(dirs: Readonly<Record<string, string>>, hugepageSizes: readonly string[]): Promise<CgroupStats> {
  const names = [
    ...V1_STAT_FILES,
    ...hugepageSizes.flatMap((s) => ['usage_in_bytes', 'max_usage_in_bytes', 'failcnt'].map((k) => `hugetlb/hugetlb.${s}.${k}`)),
  ];
  const files: V1Files = {};
  await Promise.all(names.map(async (name) => {
    const [controller, file] = name.split('/') as [string, string];
    const dir = dirs[controller];
    if (dir !== undefined) files[name] = await readOptional(dir, file);
  }));
  return buildV1Stats(files, dirs.hugetlb ? hugepageSizes : []);
}
