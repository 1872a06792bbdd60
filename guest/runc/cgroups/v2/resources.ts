/**
 * LinuxResources → the ordered file writes of cgroup v2 (pure), with runc's conversions.
 * Device rules are not files on v2: device-filter.ts turns them into an eBPF program.
 */
import { TsdError } from '../../../api/errors.js';
import type { LinuxBlockIO, LinuxCPU, LinuxMemory, LinuxResources, LinuxThrottleDevice } from '../../../api/oci-runtime-spec.js';
import { blkioWeightToIoWeight, checkLimit, cpuMax, cpuSharesToWeight, hugepageSize, maxValue, memorySwapToV2, pidsMax } from '../convert.js';
import type { CgroupWrite } from '../files.js';
import { rdmaMax } from '../v1/resources.js';

const DIR = 'unified';

export interface V2Facts {
  /** io.bfq.weight exists: BFQ takes blkio-range weights as they are. */
  bfq: boolean;
}

export function planV2(r: LinuxResources, facts: V2Facts): CgroupWrite[] {
  const writes: CgroupWrite[] = [];
  if (r.memory) writes.push(...planMemoryV2(r.memory));
  if (r.cpu) writes.push(...planCpuV2(r.cpu));
  if (r.pids) writes.push({ dir: DIR, file: 'pids.max', value: pidsMax(r.pids.limit) });
  if (r.blockIO) writes.push(...planIoV2(r.blockIO, facts));
  for (const h of r.hugepageLimits ?? []) {
    writes.push({ dir: DIR, file: `hugetlb.${hugepageSize(h.pageSize)}.max`, value: String(h.limit) });
  }
  if (r.network && (r.network.classID !== undefined || (r.network.priorities?.length ?? 0) > 0)) {
    throw new TsdError('unsupported', 'linux.resources.network: net_cls/net_prio do not exist on cgroup v2');
  }
  for (const [device, limit] of Object.entries(r.rdma ?? {})) writes.push({ dir: DIR, file: 'rdma.max', value: rdmaMax(device, limit) });
  for (const [key, value] of Object.entries(r.unified ?? {})) writes.push(unifiedWrite(key, value));
  return writes;
}

/** Keys that would move processes or reshape the tree are not resources. */
const NOT_RESOURCES = new Set(['cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control', 'cgroup.type']);

function unifiedWrite(key: string, value: string): CgroupWrite {
  if (key.includes('/') || key.startsWith('.') || NOT_RESOURCES.has(key)) {
    throw new TsdError('invalid-argument', `linux.resources.unified: ${JSON.stringify(key)} is not a cgroup resource file`);
  }
  return { dir: DIR, file: key, value };
}

export function planMemoryV2(m: LinuxMemory): CgroupWrite[] {
  for (const key of ['limit', 'reservation', 'swap', 'kernelTCP'] as const) checkLimit(m[key], `memory.${key}`);
  const writes: CgroupWrite[] = [];
  const limit = m.limit ?? 0;
  const requested = m.swap ?? 0;
  // Unset swap is left alone, except with unlimited memory (then swap becomes unlimited too).
  if (requested !== 0 || limit === -1) {
    const swap = memorySwapToV2(requested, limit);
    // Without swap accounting the file is absent; "max" or "0" then already hold (runc).
    const harmless = swap === -1 || swap === 0;
    writes.push({ dir: DIR, file: 'memory.swap.max', value: maxValue(swap), ...(harmless ? { ifExists: true } : {}) });
  }
  if (limit !== 0) writes.push({ dir: DIR, file: 'memory.max', value: maxValue(limit) });
  if (m.reservation !== undefined && m.reservation !== 0) writes.push({ dir: DIR, file: 'memory.low', value: maxValue(m.reservation) });
  // kernel, kernelTCP, swappiness and disableOOMKiller have no v2 file; runc ignores them too.
  return writes;
}

export function planCpuV2(c: LinuxCPU): CgroupWrite[] {
  if (c.realtimePeriod || c.realtimeRuntime) {
    throw new TsdError('unsupported', 'linux.resources.cpu: realtimePeriod/realtimeRuntime are not supported on cgroup v2');
  }
  const writes: CgroupWrite[] = [];
  const weight = cpuSharesToWeight(c.shares ?? 0);
  if (weight !== 0) writes.push({ dir: DIR, file: 'cpu.weight', value: String(weight) });
  const max = cpuMax(c.quota, c.period);
  if (max !== undefined) writes.push({ dir: DIR, file: 'cpu.max', value: max });
  if (c.burst !== undefined) writes.push({ dir: DIR, file: 'cpu.max.burst', value: String(c.burst) });
  if (c.idle !== undefined) writes.push({ dir: DIR, file: 'cpu.idle', value: String(c.idle) });
  if (c.cpus) writes.push({ dir: DIR, file: 'cpuset.cpus', value: c.cpus });
  if (c.mems) writes.push({ dir: DIR, file: 'cpuset.mems', value: c.mems });
  return writes;
}

/** io.max entry; a v1 rate of 0 (no limit) is "max". */
const ioMax = (key: string, d: LinuxThrottleDevice) => `${d.major}:${d.minor} ${key}=${d.rate === 0 ? 'max' : d.rate}`;

export function planIoV2(b: LinuxBlockIO, facts: V2Facts): CgroupWrite[] {
  const writes: CgroupWrite[] = [];
  if (b.weight) {
    writes.push(facts.bfq
      ? { dir: DIR, file: 'io.bfq.weight', value: String(b.weight) }
      : { dir: DIR, file: 'io.weight', value: `default ${blkioWeightToIoWeight(b.weight)}` });
  }
  for (const d of b.weightDevice ?? []) {
    if (d.weight === undefined) continue;
    writes.push(facts.bfq
      ? { dir: DIR, file: 'io.bfq.weight', value: `${d.major}:${d.minor} ${d.weight}` }
      : { dir: DIR, file: 'io.weight', value: `${d.major}:${d.minor} ${blkioWeightToIoWeight(d.weight)}` });
  }
  for (const d of b.throttleReadBpsDevice ?? []) writes.push({ dir: DIR, file: 'io.max', value: ioMax('rbps', d) });
  for (const d of b.throttleWriteBpsDevice ?? []) writes.push({ dir: DIR, file: 'io.max', value: ioMax('wbps', d) });
  for (const d of b.throttleReadIOPSDevice ?? []) writes.push({ dir: DIR, file: 'io.max', value: ioMax('riops', d) });
  for (const d of b.throttleWriteIOPSDevice ?? []) writes.push({ dir: DIR, file: 'io.max', value: ioMax('wiops', d) });
  return writes;
}
