/**
 * The cgroup manager of one container: the only thing tsd-runc verbs use for cgroups.
 *
 * A manager is rebuilt from the same inputs in every runc invocation (runc is one process per
 * verb); it keeps no state of its own beyond what the kernel holds.
 */
import type { LinuxResources } from '../../api/oci-runtime-spec.js';

export type CgroupMode = 'v1' | 'v2';

export interface CgroupManager {
  readonly mode: CgroupMode;
  /**
   * The container's cgroup path inside the hierarchy (e.g. "/tsd-runc/<id>"), absolute, as
   * shown in /proc/<pid>/cgroup. On v1 with a relative cgroupsPath the controllers may differ
   * (each is relative to the caller's cgroup in that controller); this is then the memory one.
   */
  readonly path: string;
  /** Controller directories; v2 has the single key "unified". */
  readonly dirs: Readonly<Record<string, string>>;

  /** Creates the cgroup(s) and moves `pid` in (the container init, before it execs). */
  apply(pid: number): Promise<void>;
  /** Writes limits; used at create time and by `update` (live). */
  set(resources: LinuxResources): Promise<void>;
  /** Freezes every process and waits until the kernel reports the cgroup frozen. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  isFrozen(): Promise<boolean>;
  stats(): Promise<CgroupStats>;
  /** Every pid in the cgroup and its descendants. */
  pids(): Promise<number[]>;
  /** Memory events; undefined when the memory controller is not in use here. */
  memoryEvents(): Promise<MemoryEvents | undefined>;
  /** Whether the kernel OOM-killed a process of this cgroup. */
  oomKilled(): Promise<boolean>;
  exists(): Promise<boolean>;
  /** Removes the cgroup directories (descendants first), retrying briefly on EBUSY. */
  destroy(): Promise<void>;
}

export interface MemoryEvents {
  /** Times the limit was hit and reclaim failed (v2 "oom"; v1: failcnt). */
  oom: number;
  /** Processes killed by the OOM killer (v2 memory.events oom_kill; v1 oom_control oom_kill). */
  oomKill: number;
  /** v1 only: the cgroup is currently under OOM (with the OOM killer disabled). */
  underOom: boolean;
}

/**
 * Statistics in the shape of runc's `events --stats` JSON ("data" of a stats event); key
 * names are runc's, so the object serialises as runc prints it. Times are nanoseconds.
 */
export interface CgroupStats {
  cpu?: CpuStats;
  memory?: MemoryStats;
  pids?: PidsStats;
  blkio?: BlkioStats;
  hugetlb?: Record<string, HugetlbStats>;
}

export interface CpuStats {
  usage: {
    total: number;
    /** Per CPU (v1 cpuacct only; v2 has no per-CPU accounting). */
    percpu?: number[];
    kernel: number;
    user: number;
  };
  throttling: {
    periods: number;
    throttled_periods: number;
    throttled_time: number;
  };
}

export interface MemoryEntry {
  /** Bytes; 0 limit is never reported: unlimited is the kernel's maximum value. */
  limit: number;
  usage: number;
  max: number;
  failcnt: number;
}

export interface MemoryStats {
  /** Page cache bytes (v1 "cache", v2 "file"). */
  cache: number;
  usage: MemoryEntry;
  swap: MemoryEntry;
  /** memory.stat as read (v1 or v2 keys). */
  raw: Record<string, number>;
  oom_kill: number;
}

export interface PidsStats {
  current: number;
  /** 0 means unlimited (as runc reports "max"). */
  limit: number;
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface BlkioStats {
  ioServiceBytesRecursive: BlkioEntry[];
  ioServicedRecursive: BlkioEntry[];
}

export interface HugetlbStats {
  usage: number;
  max: number;
  failcnt: number;
}
