/**
 * cgroup v2 statistics: file contents → CgroupStats (pure), plus the reader.
 */
import type { BlkioEntry, CgroupStats, HugetlbStats } from '../cgroup-manager.js';
import { parseKeyValues, readOptional } from '../files.js';

export type V2Files = Record<string, string | undefined>;

export const V2_STAT_FILES = [
  'cpu.stat', 'memory.stat', 'memory.current', 'memory.max', 'memory.peak', 'memory.events',
  'memory.swap.current', 'memory.swap.max', 'memory.swap.peak', 'memory.swap.events', 'pids.current', 'pids.max', 'io.stat',
] as const;

/** "max" (unlimited) is reported as the largest u64, as runc does for v2 limits. */
const MAX_U64 = 18446744073709551615;
const limitOf = (text: string | undefined) => (text === undefined ? 0 : text === 'max' ? MAX_U64 : Number(text));
const num = (text: string | undefined) => (text === undefined || text === '' ? 0 : Number(text));

export function buildV2Stats(f: V2Files, hugepageSizes: readonly string[]): CgroupStats {
  const stats: CgroupStats = {};
  if (f['cpu.stat'] !== undefined) {
    const cpu = parseKeyValues(f['cpu.stat']);
    stats.cpu = {
      usage: { total: (cpu.usage_usec ?? 0) * 1000, kernel: (cpu.system_usec ?? 0) * 1000, user: (cpu.user_usec ?? 0) * 1000 },
      throttling: {
        periods: cpu.nr_periods ?? 0,
        throttled_periods: cpu.nr_throttled ?? 0,
        throttled_time: (cpu.throttled_usec ?? 0) * 1000,
      },
    };
  }
  if (f['memory.current'] !== undefined) {
    const raw = parseKeyValues(f['memory.stat'] ?? '');
    const events = parseKeyValues(f['memory.events'] ?? '');
    stats.memory = {
      cache: raw.file ?? 0,
      usage: { usage: num(f['memory.current']), max: num(f['memory.peak']), limit: limitOf(f['memory.max']), failcnt: events.max ?? 0 },
      swap: {
        usage: num(f['memory.swap.current']),
        max: num(f['memory.swap.peak']),
        limit: limitOf(f['memory.swap.max']),
        failcnt: parseKeyValues(f['memory.swap.events'] ?? '').fail ?? 0,
      },
      raw,
      oom_kill: events.oom_kill ?? 0,
    };
  }
  if (f['pids.current'] !== undefined) {
    const max = f['pids.max'];
    stats.pids = { current: num(f['pids.current']), limit: max === undefined || max === 'max' ? 0 : Number(max) };
  }
  if (f['io.stat'] !== undefined) stats.blkio = parseIoStat(f['io.stat']);
  if (hugepageSizes.length > 0) {
    const hugetlb: Record<string, HugetlbStats> = {};
    for (const size of hugepageSizes) {
      hugetlb[size] = {
        usage: num(f[`hugetlb.${size}.current`]),
        max: 0, // v2 keeps no hugetlb high-water mark
        failcnt: parseKeyValues(f[`hugetlb.${size}.events`] ?? '').max ?? 0,
      };
    }
    stats.hugetlb = hugetlb;
  }
  return stats;
}

/** "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" → runc's v1-shaped entries. */
export function parseIoStat(text: string): { ioServiceBytesRecursive: BlkioEntry[]; ioServicedRecursive: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const [device, ...pairs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(device ?? '');
    if (!m) continue;
    const major = Number(m[1]);
    const minor = Number(m[2]);
    const kv = Object.fromEntries(pairs.map((p) => p.split('=') as [string, string]));
    const push = (list: BlkioEntry[], op: string, key: string) => {
      if (kv[key] !== undefined) list.push({ major, minor, op, value: Number(kv[key]) });
    };
    push(bytes, 'Read', 'rbytes');
    push(bytes, 'Write', 'wbytes');
    push(ios, 'Read', 'rios');
    push(ios, 'Write', 'wios');
  }
  return { ioServiceBytesRecursive: bytes, ioServicedRecursive: ios };
}

export async function readV2Stats(dir: string, hugepageSizes: readonly string[]): Promise<CgroupStats> {
  const names = [...V2_STAT_FILES, ...hugepageSizes.flatMap((s) => [`hugetlb.${s}.current`, `hugetlb.${s}.events`])];
  const files: V2Files = {};
  await Promise.all(names.map(async (name) => { files[name] = await readOptional(dir, name); }));
  const present = hugepageSizes.filter((s) => files[`hugetlb.${s}.current`] !== undefined);
  return buildV2Stats(files, present);
}
