/**
 * LinuxResources → the ordered file writes of cgroup v1 (pure). Facts about the current
 * cgroup that change the plan (swap accounting, current memory limit, blkio flavour) are
 * passed in, read beforehand by the manager.
 */
import { TsdError } from '../../../api/errors.js';
import type {
  LinuxBlockIO, LinuxCPU, LinuxDeviceCgroup, LinuxMemory, LinuxResources, LinuxThrottleDevice,
} from '../../../api/oci-runtime-spec.js';
import { checkLimit, hugepageSize } from '../convert.js';
import type { CgroupWrite } from '../files.js';

export interface V1Facts {
  /** memory.memsw.* exists (swap accounting on). */
  memswAvailable: boolean;
  /** Current memory.limit_in_bytes, for ordering memory vs memsw writes. */
  currentMemoryLimit: number;
  /** "blkio.weight" (CFQ) or "blkio.bfq.weight" (BFQ); undefined when neither exists. */
  blkioWeightFile: 'blkio.weight' | 'blkio.bfq.weight' | undefined;
}

export function planV1(r: LinuxResources, facts: V1Facts): CgroupWrite[] {
  if (r.unified && Object.keys(r.unified).length > 0) {
    throw new TsdError('unsupported', 'linux.resources.unified: unified (cgroup v2) resources cannot be set on cgroup v1');
  }
  const writes: CgroupWrite[] = [];
  if (r.devices) writes.push(...planDevicesV1(r.devices));
  if (r.memory) writes.push(...planMemoryV1(r.memory, facts));
  if (r.cpu) writes.push(...planCpuV1(r.cpu));
  if (r.pids) writes.push({ dir: 'pids', file: 'pids.max', value: r.pids.limit > 0 ? String(r.pids.limit) : 'max' });
  if (r.blockIO) writes.push(...planBlkioV1(r.blockIO, facts));
  for (const h of r.hugepageLimits ?? []) {
    writes.push({ dir: 'hugetlb', file: `hugetlb.${hugepageSize(h.pageSize)}.limit_in_bytes`, value: String(h.limit) });
  }
  if (r.network?.classID !== undefined) writes.push({ dir: 'net_cls', file: 'net_cls.classid', value: String(r.network.classID) });
  for (const p of r.network?.priorities ?? []) writes.push({ dir: 'net_prio', file: 'net_prio.ifpriomap', value: `${p.name} ${p.priority}` });
  for (const [device, limit] of Object.entries(r.rdma ?? {})) writes.push({ dir: 'rdma', file: 'rdma.max', value: rdmaMax(device, limit) });
  return writes;
}

export function rdmaMax(device: string, limit: { hcaHandles?: number; hcaObjects?: number }): string {
  const handles = limit.hcaHandles === undefined ? 'max' : String(limit.hcaHandles);
  const objects = limit.hcaObjects === undefined ? 'max' : String(limit.hcaObjects);
  return `${device} hca_handle=${handles} hca_object=${objects}`;
}

/** "c 1:3 rwm"; a missing or -1 major/minor is "*". */
export function deviceRule(rule: LinuxDeviceCgroup): string {
  const num = (n: number | null | undefined) => (n === undefined || n === null || n < 0 ? '*' : String(n));
  return `${rule.type ?? 'a'} ${num(rule.major)}:${num(rule.minor)} ${rule.access ?? 'rwm'}`;
}

export function planDevicesV1(rules: readonly LinuxDeviceCgroup[]): CgroupWrite[] {
  return rules.map((rule, i) => {
    if (rule.access !== undefined && !/^[rwm]*$/.test(rule.access)) {
      throw new TsdError('invalid-argument', `linux.resources.devices[${i}].access: ${JSON.stringify(rule.access)} is not a subset of "rwm"`);
    }
    return { dir: 'devices', file: rule.allow ? 'devices.allow' : 'devices.deny', value: deviceRule(rule) };
  });
}

export function planMemoryV1(m: LinuxMemory, facts: V1Facts): CgroupWrite[] {
  for (const key of ['limit', 'reservation', 'swap', 'kernelTCP'] as const) checkLimit(m[key], `memory.${key}`);
  const limit = m.limit ?? 0;
  let swap = m.swap ?? 0;
  // Unlimited memory with swap unset means both unlimited (runc), when swap is accounted.
  if (limit === -1 && swap === 0 && facts.memswAvailable) swap = -1;
  const setMemory: CgroupWrite[] = limit !== 0 ? [{ dir: 'memory', file: 'memory.limit_in_bytes', value: String(limit) }] : [];
  const setSwap: CgroupWrite[] = [];
  if (swap !== 0) {
    if (!facts.memswAvailable) {
      throw new TsdError('unsupported', 'linux.resources.memory.swap: this kernel has no swap accounting (memory.memsw.limit_in_bytes is missing)');
    }
    setSwap.push({ dir: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(swap) });
  }
  // memsw must stay >= memory at every step: raise memsw first when it grows.
  const swapFirst = limit !== 0 && swap !== 0 && (swap === -1 || facts.currentMemoryLimit < swap);
  const writes = swapFirst ? [...setSwap, ...setMemory] : [...setMemory, ...setSwap];
  if (m.reservation !== undefined && m.reservation !== 0) {
    writes.push({ dir: 'memory', file: 'memory.soft_limit_in_bytes', value: String(m.reservation) });
  }
  if (m.kernelTCP !== undefined && m.kernelTCP !== 0) {
    writes.push({ dir: 'memory', file: 'memory.kmem.tcp.limit_in_bytes', value: String(m.kernelTCP) });
  }
  if (m.swappiness !== undefined && m.swappiness !== -1) {
    if (m.swappiness < 0 || m.swappiness > 100) {
      throw new TsdError('invalid-argument', `linux.resources.memory.swappiness: ${m.swappiness} is outside 0..100`);
    }
    writes.push({ dir: 'memory', file: 'memory.swappiness', value: String(m.swappiness) });
  }
  if (m.disableOOMKiller) writes.push({ dir: 'memory', file: 'memory.oom_control', value: '1' });
  // m.kernel is deprecated and ignored, as runc does on kernels ≥ 5.4.
  return writes;
}

export function planCpuV1(c: LinuxCPU): CgroupWrite[] {
  const writes: CgroupWrite[] = [];
  if (c.shares) writes.push({ dir: 'cpu', file: 'cpu.shares', value: String(c.shares) });
  if (c.realtimePeriod) writes.push({ dir: 'cpu', file: 'cpu.rt_period_us', value: String(c.realtimePeriod) });
  if (c.realtimeRuntime) writes.push({ dir: 'cpu', file: 'cpu.rt_runtime_us', value: String(c.realtimeRuntime) });
  const period = c.period ? String(c.period) : undefined;
  if (period) {
    // A period smaller than the current one can be refused (EINVAL) until the quota changes:
    // tolerate that here and write it again after the quota, as runc does.
    writes.push({ dir: 'cpu', file: 'cpu.cfs_period_us', value: period, ...(c.quota ? { tolerate: 'EINVAL' as const } : {}) });
  }
  if (c.quota) {
    writes.push({ dir: 'cpu', file: 'cpu.cfs_quota_us', value: String(c.quota) });
    if (period) writes.push({ dir: 'cpu', file: 'cpu.cfs_period_us', value: period });
  }
  if (c.burst !== undefined) writes.push({ dir: 'cpu', file: 'cpu.cfs_burst_us', value: String(c.burst) });
  if (c.idle !== undefined) writes.push({ dir: 'cpu', file: 'cpu.idle', value: String(c.idle) });
  if (c.cpus) writes.push({ dir: 'cpuset', file: 'cpuset.cpus', value: c.cpus });
  if (c.mems) writes.push({ dir: 'cpuset', file: 'cpuset.mems', value: c.mems });
  return writes;
}

const throttle = (d: LinuxThrottleDevice) => `${d.major}:${d.minor} ${d.rate}`;

export function planBlkioV1(b: LinuxBlockIO, facts: V1Facts): CgroupWrite[] {
  const writes: CgroupWrite[] = [];
  const weightFile = facts.blkioWeightFile;
  const needWeight = b.weight || b.leafWeight || (b.weightDevice?.length ?? 0) > 0;
  if (needWeight && !weightFile) {
    throw new TsdError('unsupported', 'linux.resources.blockIO: weights need the CFQ or BFQ I/O scheduler (no blkio.weight or blkio.bfq.weight here)');
  }
  if (b.weight) writes.push({ dir: 'blkio', file: weightFile!, value: String(b.weight) });
  if (b.leafWeight) writes.push({ dir: 'blkio', file: 'blkio.leaf_weight', value: String(b.leafWeight) });
  for (const d of b.weightDevice ?? []) {
    const deviceFile = weightFile === 'blkio.bfq.weight' ? 'blkio.bfq.weight_device' : 'blkio.weight_device';
    if (d.weight !== undefined) writes.push({ dir: 'blkio', file: deviceFile, value: `${d.major}:${d.minor} ${d.weight}` });
    if (d.leafWeight !== undefined) writes.push({ dir: 'blkio', file: 'blkio.leaf_weight_device', value: `${d.major}:${d.minor} ${d.leafWeight}` });
  }
  for (const d of b.throttleReadBpsDevice ?? []) writes.push({ dir: 'blkio', file: 'blkio.throttle.read_bps_device', value: throttle(d) });
  for (const d of b.throttleWriteBpsDevice ?? []) writes.push({ dir: 'blkio', file: 'blkio.throttle.write_bps_device', value: throttle(d) });
  for (const d of b.throttleReadIOPSDevice ?? []) writes.push({ dir: 'blkio', file: 'blkio.throttle.read_iops_device', value: throttle(d) });
  for (const d of b.throttleWriteIOPSDevice ?? []) writes.push({ dir: 'blkio', file: 'blkio.throttle.write_iops_device', value: throttle(d) });
  return writes;
}
