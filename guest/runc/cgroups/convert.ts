/**
 * Pure conversions between OCI (cgroup v1 flavoured) resource values and cgroup v2 files,
 * following runc's libcontainer/cgroups utils.
 */
import { TsdError } from '../../api/errors.js';

const SHARES_MIN = 2;
const SHARES_MAX = 262_144;
const WEIGHT_MAX = 10_000;

/**
 * cpu.shares [2..262144] → cpu.weight [1..10000]; 0 means unset. runc ≥ 1.3 (and crun) map on
 * a log scale so that the defaults meet (1024 → 100); runc ≤ 1.2 used the linear
 * 1 + (shares - 2) * 9999 / 262142, which sent 1024 to 39.
 */
export function cpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= SHARES_MIN) return 1;
  if (shares >= SHARES_MAX) return WEIGHT_MAX;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(10 ** exponent);
}

/** blkio.weight [10..1000] → io.weight [1..10000]; 0 means unset. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * OCI memory.swap is memory+swap (the v1 memsw limit); v2's memory.swap.max is swap alone.
 * Returns the memory.swap.max value: -1 = "max", 0 = unset/none... as runc's
 * ConvertMemorySwapToCgroupV2Value, including its errors.
 */
export function memorySwapToV2(swap: number, memory: number): number {
  // Memory unlimited and swap unset: treat as "both unlimited", like cgroup v1 does.
  if (memory === -1 && swap === 0) return -1;
  if (swap === -1 || swap === 0) return swap;
  if (memory === 0 || memory === -1) {
    throw new TsdError('invalid-argument', 'linux.resources.memory.swap: unable to set a swap limit without a memory limit');
  }
  if (memory < 0) throw new TsdError('invalid-argument', `linux.resources.memory.limit: invalid value ${memory}`);
  if (swap < memory) {
    throw new TsdError('invalid-argument', `linux.resources.memory.swap: memory+swap limit (${swap}) must be >= the memory limit (${memory})`);
  }
  return swap - memory;
}

/** A limit for a v2 "max"-style file: -1 → "max". */
export function maxValue(limit: number): string {
  return limit === -1 ? 'max' : String(limit);
}

/** pids.max: a positive limit, or "max" for 0 / -1 (runc writes "max" for any non-positive). */
export function pidsMax(limit: number): string {
  return limit > 0 ? String(limit) : 'max';
}

/** v2 cpu.max: "<quota|max> [period]"; undefined when neither is set. */
export function cpuMax(quota: number | undefined, period: number | undefined): string | undefined {
  if (!quota && !period) return undefined;
  let value = quota !== undefined && quota > 0 ? String(quota) : 'max';
  if (period) value += ` ${period}`;
  return value;
}

/** Validates a hugepage size as the kernel names it in file names ("2MB", "1GB", "64KB"). */
export function hugepageSize(pageSize: string): string {
  if (!/^[1-9][0-9]*[KMG]B$/.test(pageSize)) {
    throw new TsdError('invalid-argument', `linux.resources.hugepageLimits: invalid pageSize ${JSON.stringify(pageSize)} (expected e.g. "2MB")`);
  }
  return pageSize;
}

/** A byte count or limit: -1 (unlimited), 0 (unset) or a positive integer. */
export function checkLimit(value: number | undefined, field: string): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < -1) {
    throw new TsdError('invalid-argument', `linux.resources.${field}: ${value} is not a byte count (-1 for unlimited)`);
  }
}
