/**
 * HostConfig resource fields → OCI linux.resources, with Docker's validation and wording
 * (daemon/daemon_unix.go). The engine's CPU count is passed in so the NanoCpus range check
 * ("Range of CPUs is from 0.01 to N.00") is pure.
 */
import { TsdError } from '../../../api/errors.js';
import type { LinuxResources, POSIXRlimit } from '../../../api/oci-runtime-spec.js';
import type { HostConfig, Ulimit } from '../docker-types.js';

/** Docker's floor for memory limits and reservations. */
export const MIN_MEMORY = 6 * 1024 * 1024;
/** CFS period used to turn NanoCpus into a quota. */
export const NANO_CPU_PERIOD = 100_000;

function invalid(message: string): TsdError {
  return new TsdError('invalid-argument', message);
}

export function validateResources(host: HostConfig, cpuCount: number): void {
  const memory = host.Memory ?? 0;
  const swap = host.MemorySwap ?? 0;
  const reservation = host.MemoryReservation ?? 0;
  if (memory !== 0 && memory < MIN_MEMORY) throw invalid('Minimum memory limit allowed is 6MB');
  if (memory > 0 && swap > 0 && swap < memory) throw invalid('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (memory === 0 && swap > 0) throw invalid('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (reservation !== 0 && reservation < MIN_MEMORY) throw invalid('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) throw invalid('Minimum memory limit can not be less than memory reservation limit, see usage');
  const swappiness = host.MemorySwappiness;
  if (swappiness !== undefined && swappiness !== null && swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw invalid(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  const nano = host.NanoCpus ?? 0;
  if (nano !== 0) {
    if ((host.CpuPeriod ?? 0) > 0) throw invalid('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    if ((host.CpuQuota ?? 0) > 0) throw invalid('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    if (nano < 0 || nano < 10_000_000 || nano > cpuCount * 1e9) {
      throw invalid(`Range of CPUs is from 0.01 to ${cpuCount}.00, as there are only ${cpuCount} CPUs available`);
    }
  }
  const quota = host.CpuQuota ?? 0;
  if (quota > 0 && quota < 1000) throw invalid('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  const period = host.CpuPeriod ?? 0;
  if (period > 0 && (period < 1000 || period > 1_000_000)) throw invalid('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  if (host.CpusetCpus && !validCpuset(host.CpusetCpus, cpuCount)) {
    if (!/^[0-9,-]+$/.test(host.CpusetCpus)) throw invalid(`Invalid value ${host.CpusetCpus} for cpuset cpus`);
    throw invalid(`Requested CPUs are not available - requested ${host.CpusetCpus}, available: ${cpuCount === 1 ? '0' : `0-${cpuCount - 1}`}`);
  }
  const blkio = host.BlkioWeight ?? 0;
  if (blkio > 0 && (blkio < 10 || blkio > 1000)) throw invalid('Range of blkio weight is from 10 to 1000');
  if ((host.ShmSize ?? 0) < 0) throw invalid('SHM size can not be less than 0');
  const shares = host.CpuShares ?? 0;
  if (shares < 0) throw invalid('shares: invalid argument');
}

/** "0-2,4" within [0, cpuCount). */
export function validCpuset(value: string, cpuCount: number): boolean {
  for (const part of value.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) return false;
    const low = Number(match[1]);
    const high = match[2] === undefined ? low : Number(match[2]);
    if (high < low || high >= cpuCount) return false;
  }
  return true;
}

export function linuxResources(host: HostConfig): LinuxResources {
  const resources: LinuxResources = {};
  const memory: NonNullable<LinuxResources['memory']> = {};
  if (host.Memory) memory.limit = host.Memory;
  if (host.MemoryReservation) memory.reservation = host.MemoryReservation;
  // Docker: MemorySwap 0 with a memory limit means "twice the memory"; -1 unlimited.
  if (host.Memory && (host.MemorySwap ?? 0) === 0) memory.swap = host.Memory * 2;
  else if (host.MemorySwap) memory.swap = host.MemorySwap;
  if (host.MemorySwappiness !== undefined && host.MemorySwappiness !== null && host.MemorySwappiness >= 0) memory.swappiness = host.MemorySwappiness;
  if (host.OomKillDisable) memory.disableOOMKiller = true;
  if (Object.keys(memory).length > 0) resources.memory = memory;

  const cpu: NonNullable<LinuxResources['cpu']> = {};
  if (host.CpuShares) cpu.shares = host.CpuShares;
  if (host.NanoCpus) {
    cpu.period = NANO_CPU_PERIOD;
    cpu.quota = Math.round((host.NanoCpus * NANO_CPU_PERIOD) / 1e9);
  }
  if (host.CpuPeriod) cpu.period = host.CpuPeriod;
  if (host.CpuQuota) cpu.quota = host.CpuQuota;
  if (host.CpusetCpus) cpu.cpus = host.CpusetCpus;
  if (host.CpusetMems) cpu.mems = host.CpusetMems;
  if (Object.keys(cpu).length > 0) resources.cpu = cpu;

  if (host.PidsLimit !== undefined && host.PidsLimit !== null && host.PidsLimit !== 0) resources.pids = { limit: host.PidsLimit < 0 ? -1 : host.PidsLimit };
  if (host.BlkioWeight) resources.blockIO = { weight: host.BlkioWeight };
  return resources;
}

const ULIMIT_NAMES = new Set([
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack', 'as',
]);

export function rlimits(ulimits: readonly Ulimit[]): POSIXRlimit[] {
  return ulimits.map((u) => {
    if (!ULIMIT_NAMES.has(u.Name)) throw invalid(`invalid ulimit type: ${u.Name}`);
    if (u.Soft > u.Hard) throw invalid(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    return { type: `RLIMIT_${u.Name.toUpperCase()}` as POSIXRlimit['type'], soft: u.Soft, hard: u.Hard };
  });
}
