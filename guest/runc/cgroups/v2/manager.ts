/**
 * cgroup v2 (the guest kernel; also cgroup2 at /sys/fs/cgroup/unified on hybrid hosts).
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { LinuxResources } from '../../../api/oci-runtime-spec.js';
import type { CgroupManager, CgroupStats, MemoryEvents } from '../cgroup-manager.js';
import {
  applyWrites, exists, parseKeyValues, pidsRecursive, readCgroupFile, readOptional, removeCgroup, waitUntil, writeCgroupFile,
} from '../files.js';
import { hugepageSizes } from '../hugepages.js';
import { planV2 } from './resources.js';
import { readV2Stats } from './stats.js';

export class V2CgroupManager implements CgroupManager {
  readonly mode = 'v2' as const;
  readonly dirs: Readonly<Record<string, string>>;

  constructor(
    readonly path: string,
    private readonly dir: string,
    private readonly mountpoint: string,
  ) {
    this.dirs = { unified: dir };
  }

  /**
   * Creates the cgroup and enables, level by level from the mount down to its parent, every
   * controller the level offers (runc does the same), then moves `pid` in. A level that holds
   * processes cannot delegate controllers (the "no internal processes" rule): that write fails
   * with EBUSY and names the level.
   */
  async apply(pid: number): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const parts = relative(this.mountpoint, this.dir).split('/').filter(Boolean);
    let level = this.mountpoint;
    for (const part of parts) {
      await enableControllers(level);
      level = join(level, part);
    }
    await writeCgroupFile(this.dir, 'cgroup.procs', String(pid));
  }

  async set(resources: LinuxResources): Promise<void> {
    if (resources.devices && resources.devices.length > 0) {
      // v2 has no devices files: the rules become an eBPF program attached to the cgroup.
      const { compileDeviceFilter } = await import('./device-filter.js');
      const { attachDeviceFilter } = await import('./device-filter-attach.js');
      await attachDeviceFilter(this.dir, compileDeviceFilter(resources.devices));
    }
    const bfq = await exists(join(this.dir, 'io.bfq.weight'));
    await applyWrites(this.dirs, planV2(resources, { bfq }));
  }

  async freeze(): Promise<void> {
    await writeCgroupFile(this.dir, 'cgroup.freeze', '1');
    await waitUntil(() => this.isFrozen(), `${this.dir}/cgroup.events reports frozen 1`);
  }

  async thaw(): Promise<void> {
    await writeCgroupFile(this.dir, 'cgroup.freeze', '0');
    await waitUntil(async () => !(await this.isFrozen()), `${this.dir}/cgroup.events reports frozen 0`);
  }

  async isFrozen(): Promise<boolean> {
    return parseKeyValues(await readCgroupFile(this.dir, 'cgroup.events')).frozen === 1;
  }

  stats(): Promise<CgroupStats> {
    return readV2Stats(this.dir, hugepageSizes());
  }

  pids(): Promise<number[]> {
    return pidsRecursive(this.dir);
  }

  async memoryEvents(): Promise<MemoryEvents | undefined> {
    const text = await readOptional(this.dir, 'memory.events');
    if (text === undefined) return undefined;
    const events = parseKeyValues(text);
    return { oom: events.oom ?? 0, oomKill: events.oom_kill ?? 0, underOom: false };
  }

  async oomKilled(): Promise<boolean> {
    return ((await this.memoryEvents())?.oomKill ?? 0) > 0;
  }

  exists(): Promise<boolean> {
    return exists(this.dir);
  }

  destroy(): Promise<void> {
    return removeCgroup(this.dir);
  }
}

async function enableControllers(level: string): Promise<void> {
  const available = (await readCgroupFile(level, 'cgroup.controllers')).split(/\s+/).filter(Boolean);
  const enabled = new Set((await readCgroupFile(level, 'cgroup.subtree_control')).split(/\s+/).filter(Boolean));
  const missing = available.filter((c) => !enabled.has(c));
  if (missing.length > 0) await writeCgroupFile(level, 'cgroup.subtree_control', missing.map((c) => `+${c}`).join(' '));
}
