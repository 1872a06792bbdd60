/**
 * `docker stats`: the container's cgroup read directly (runc's readers, v1 or v2) and shaped as
 * Docker's stats JSON, with the host's CPU time from /proc/stat (so the CLI can compute a
 * percentage between two samples) and network counters from the container's /proc/<pid>/net/dev.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { readV1Stats } from '../../../runc/cgroups/v1/stats.js';
import { readV2Stats } from '../../../runc/cgroups/v2/stats.js';
import type { CgroupStats } from '../../../runc/cgroups/index.js';
import type { ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from './container-service.js';

const CGROUP_V2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'blkio'];
const CLOCK_TICKS = 100;

export function cgroupPath(service: ContainerService, record: ContainerRecord): string {
  return `${record.HostConfig.CgroupParent || service.deps.runtime.cgroupParent}/${record.ID}`;
}

export async function readCgroupStats(service: ContainerService, record: ContainerRecord): Promise<CgroupStats> {
  const path = cgroupPath(service, record);
  if (CGROUP_V2) return readV2Stats(`/sys/fs/cgroup${path}`, []);
  return readV1Stats(Object.fromEntries(V1_CONTROLLERS.map((c) => [c, `/sys/fs/cgroup/${c}${path}`])), []);
}

/** Host CPU time in nanoseconds (Docker's system_cpu_usage). */
async function systemCpuUsage(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n').find((l) => l.startsWith('cpu '));
  const ticks = (line ?? '').trim().split(/\s+/).slice(1, 8).reduce((sum, v) => sum + Number(v), 0);
  return (ticks * 1e9) / CLOCK_TICKS;
}

async function networks(pid: number): Promise<Record<string, Record<string, number>>> {
  const text = await readFile(`/proc/${pid}/net/dev`, 'utf8').catch(() => '');
  const result: Record<string, Record<string, number>> = {};
  for (const line of text.split('\n').slice(2)) {
    const [name, rest] = line.split(':');
    if (!rest || name!.trim() === 'lo') continue;
    const v = rest.trim().split(/\s+/).map(Number);
    result[name!.trim()] = {
      rx_bytes: v[0]!, rx_packets: v[1]!, rx_errors: v[2]!, rx_dropped: v[3]!,
      tx_bytes: v[8]!, tx_packets: v[9]!, tx_errors: v[10]!, tx_dropped: v[11]!,
    };
  }
  return result;
}

export interface StatsSample {
  read: string;
  cpu_stats: Record<string, unknown>;
  [key: string]: unknown;
}

export async function statsSample(service: ContainerService, record: ContainerRecord, previous?: StatsSample): Promise<StatsSample> {
  const running = record.State.Running;
  const stats = running ? await readCgroupStats(service, record).catch(() => ({}) as CgroupStats) : ({} as CgroupStats);
  const online = cpus().length;
  const cpu = stats.cpu;
  const memory = stats.memory;
  const cpuStats = {
    cpu_usage: { total_usage: cpu?.usage.total ?? 0, percpu_usage: cpu?.usage.percpu, usage_in_kernelmode: cpu?.usage.kernel ?? 0, usage_in_usermode: cpu?.usage.user ?? 0 },
    system_cpu_usage: running ? await systemCpuUsage() : 0,
    online_cpus: running ? online : 0,
    throttling_data: cpu?.throttling ?? { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
  return {
    read: new Date().toISOString(),
    preread: previous?.read ?? '0001-01-01T00:00:00Z',
    pids_stats: stats.pids ? { current: stats.pids.current, ...(stats.pids.limit ? { limit: stats.pids.limit } : {}) } : {},
    blkio_stats: {
      io_service_bytes_recursive: stats.blkio?.ioServiceBytesRecursive ?? null,
      io_serviced_recursive: stats.blkio?.ioServicedRecursive ?? null,
      io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats,
    precpu_stats: previous?.cpu_stats ?? { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    memory_stats: memory
      ? { usage: memory.usage.usage, max_usage: memory.usage.max, stats: memory.raw, limit: memory.usage.limit, failcnt: memory.usage.failcnt }
      : {},
    name: record.Name,
    id: record.ID,
    ...(running ? { networks: await networks(record.State.Pid) } : {}),
  };
}
