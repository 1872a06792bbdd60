/**
 * Memory of an engine's own processes (daemons, shims and their helpers such as docker-proxy; never
 * the containers' processes, see proc.ts): idle, and the growth per running container.
 */
import { dockerOk, type BenchEngine } from './engines.js';
import { engineProcesses, footprint, labelOf, memoryOf, minusMemory, scaleMemory, sumMemory, type Memory } from './proc.js';
import { settle } from './stats.js';

export interface ProcessMemory {
  label: string;
  pid: number;
  memory: Memory;
}

export interface MemoryBreakdown {
  total: Memory;
  /** KiB of the whole set on its own (proc.ts footprint()). */
  alone: number;
  processes: ProcessMemory[];
}

export interface IdleResult {
  fresh: MemoryBreakdown;
  afterPull?: MemoryBreakdown;
  /** The host-mode launcher (supervisor), reported apart: in the VM, init does its job. */
  launcher?: Memory;
}

export interface PerContainerResult {
  containers: number;
  before: MemoryBreakdown;
  after: MemoryBreakdown;
  /** (after − before) / containers */
  perContainer: Memory;
  /** KiB: growth of the set's footprint alone / containers */
  perContainerAlone: number;
}

export async function engineMemory(engine: BenchEngine, options: { daemonsOnly?: boolean } = {}): Promise<MemoryBreakdown> {
  const daemons = await engine.daemons();
  const all = engineProcesses(daemons.map((d) => d.pid), engine.containerdAddress);
  const processes = all.filter((p) => !options.daemonsOnly || daemons.some((d) => d.pid === p.pid)).map((p) => ({
    label: daemons.find((d) => d.pid === p.pid)?.name ?? labelOf(p),
    pid: p.pid,
    memory: memoryOf(p.pid),
  }));
  return { total: sumMemory(processes.map((p) => p.memory)), alone: footprint(processes.map((p) => p.pid)), processes };
}

export async function measureIdle(engine: BenchEngine): Promise<IdleResult> {
  return { fresh: await engineMemory(engine), ...(engine.launcherPid ? { launcher: memoryOf(engine.launcherPid) } : {}) };
}

/**
 * Starts `count` busybox `sleep`s, measures, removes them. The baseline is the daemons alone: a
 * shim still alive from earlier runs (ours lingers a while after its last task) is part of what the
 * containers cost, as Debian's per-container shims are.
 */
export async function measurePerContainer(engine: BenchEngine, count: number): Promise<PerContainerResult> {
  await settle(2000);
  const before = await engineMemory(engine, { daemonsOnly: true });
  const ids: string[] = [];
  try {
    for (let i = 0; i < count; i++) ids.push((await dockerOk(engine, ['run', '-d', 'busybox', 'sleep', '100000'])).stdout.trim());
    await settle(3000);
    const after = await engineMemory(engine);
    return { containers: count, before, after, perContainer: scaleMemory(minusMemory(after.total, before.total), 1 / count), perContainerAlone: (after.alone - before.alone) / count };
  } finally {
    if (ids.length > 0) await dockerOk(engine, ['rm', '-f', ...ids]);
  }
}
