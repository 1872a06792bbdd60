/**
 * cgroup v1 (legacy and hybrid hosts): one directory per mounted controller.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { TsdError } from '../../../api/errors.js';
import type { LinuxResources } from '../../../api/oci-runtime-spec.js';
import type { CgroupManager, CgroupStats, MemoryEvents } from '../cgroup-manager.js';
import {
  applyWrites, exists, parseKeyValues, pidsRecursive, readCgroupFile, readOptional, removeCgroup, waitUntil, writeCgroupFile,
} from '../files.js';
import { hugepageSizes } from '../hugepages.js';
import { planV1, type V1Facts } from './resources.js';
import { readV1Stats } from './stats.js';

export class V1CgroupManager implements CgroupManager {
  readonly mode = 'v1' as const;

  /** `mounts` maps each controller to its mountpoint, to create missing ancestors. */
  constructor(
    readonly path: string,
    readonly dirs: Readonly<Record<string, string>>,
    private readonly mounts: Readonly<Record<string, string>>,
  ) {}

  async apply(pid: number): Promise<void> {
    for (const [controller, dir] of Object.entries(this.dirs)) {
      if (controller === 'cpuset') await this.createCpuset(dir);
      else mkdirSync(dir, { recursive: true });
      await writeCgroupFile(dir, 'cgroup.procs', String(pid));
    }
  }

  /**
   * A new cpuset cgroup starts with empty cpus and mems, and a task cannot join it (ENOSPC):
   * each level we create inherits its parent's values, as runc does.
   */
  private async createCpuset(dir: string): Promise<void> {
    const root = this.mounts.cpuset!;
    const levels: string[] = [];
    for (let d = dir; relative(root, d) !== '' && !relative(root, d).startsWith('..'); d = dirname(d)) levels.unshift(d);
    for (const level of levels) {
      mkdirSync(level, { recursive: true });
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        if ((await readCgroupFile(level, file)) === '') {
          await writeCgroupFile(level, file, await readCgroupFile(dirname(level), file));
        }
      }
    }
  }

  async set(resources: LinuxResources): Promise<void> {
    const facts = await this.facts();
    await applyWrites(this.dirs, planV1(resources, facts));
    const shares = resources.cpu?.shares;
    if (shares && this.dirs.cpu) {
      // The kernel clamps out-of-range shares silently; runc reports it.
      const actual = Number(await readCgroupFile(this.dirs.cpu, 'cpu.shares'));
      if (actual !== shares) {
        throw new TsdError('invalid-argument', `linux.resources.cpu.shares: ${shares} is out of range (the kernel set ${actual})`);
      }
    }
  }

  private async facts(): Promise<V1Facts> {
    const memory = this.dirs.memory;
    const blkio = this.dirs.blkio;
    const limit = memory ? await readOptional(memory, 'memory.limit_in_bytes') : undefined;
    let blkioWeightFile: V1Facts['blkioWeightFile'];
    if (blkio && (await exists(join(blkio, 'blkio.weight')))) blkioWeightFile = 'blkio.weight';
    else if (blkio && (await exists(join(blkio, 'blkio.bfq.weight')))) blkioWeightFile = 'blkio.bfq.weight';
    return {
      memswAvailable: memory !== undefined && (await exists(join(memory, 'memory.memsw.limit_in_bytes'))),
      currentMemoryLimit: limit === undefined ? 0 : Number(limit),
      blkioWeightFile,
    };
  }

  private freezerDir(): string {
    const dir = this.dirs.freezer;
    if (!dir) throw new TsdError('unsupported', 'cgroup: the freezer controller is not mounted; pause/resume are unavailable');
    return dir;
  }

  async freeze(): Promise<void> {
    const dir = this.freezerDir();
    await writeCgroupFile(dir, 'freezer.state', 'FROZEN');
    // A freeze can stall in FREEZING (e.g. a task in vfork); writing FROZEN again retries it.
    await waitUntil(async () => {
      const state = await readCgroupFile(dir, 'freezer.state');
      if (state === 'FREEZING') await writeCgroupFile(dir, 'freezer.state', 'FROZEN');
      return state === 'FROZEN';
    }, `${dir}/freezer.state is FROZEN`);
  }

  async thaw(): Promise<void> {
    const dir = this.freezerDir();
    await writeCgroupFile(dir, 'freezer.state', 'THAWED');
    await waitUntil(async () => (await readCgroupFile(dir, 'freezer.state')) === 'THAWED', `${dir}/freezer.state is THAWED`);
  }

  async isFrozen(): Promise<boolean> {
    return (await readCgroupFile(this.freezerDir(), 'freezer.state')) === 'FROZEN';
  }

  stats(): Promise<CgroupStats> {
    return readV1Stats(this.dirs, hugepageSizes());
  }

  async pids(): Promise<number[]> {
    const dir = this.dirs.pids ?? this.dirs.freezer ?? this.dirs.memory ?? Object.values(this.dirs)[0];
    return dir ? pidsRecursive(dir) : [];
  }

  async memoryEvents(): Promise<MemoryEvents | undefined> {
    const dir = this.dirs.memory;
    const control = dir ? await readOptional(dir, 'memory.oom_control') : undefined;
    if (!dir || control === undefined) return undefined;
    const oom = parseKeyValues(control);
    const failcnt = Number((await readOptional(dir, 'memory.failcnt')) ?? 0);
    return { oom: failcnt, oomKill: oom.oom_kill ?? 0, underOom: oom.under_oom === 1 };
  }

  async oomKilled(): Promise<boolean> {
    return ((await this.memoryEvents())?.oomKill ?? 0) > 0;
  }

  async exists(): Promise<boolean> {
    for (const dir of Object.values(this.dirs)) if (await exists(dir)) return true;
    return false;
  }

  async destroy(): Promise<void> {
    for (const dir of Object.values(this.dirs)) await removeCgroup(dir);
  }
}
