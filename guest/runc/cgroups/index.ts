/**
 * Entry point of tsd-runc's cgroup support; see README.md beside this file.
 */
import { TsdError } from '../../api/errors.js';
import type { CgroupManager, CgroupMode } from './cgroup-manager.js';
import { type CgroupLayout, detectMode, dirFor, hierarchyPath, readLayout } from './layout.js';
import { V1CgroupManager } from './v1/manager.js';
import { V2CgroupManager } from './v2/manager.js';

export type { CgroupManager, CgroupMode, CgroupStats, MemoryEvents } from './cgroup-manager.js';
export { DEFAULT_PARENT } from './layout.js';

export interface CgroupManagerOptions {
  /** linux.cgroupsPath from config.json. */
  cgroupsPath: string | undefined;
  containerId: string;
  /** Force a mode (tests use v2 on a hybrid host's /sys/fs/cgroup/unified); detected otherwise. */
  mode?: CgroupMode;
  /** The mounts and the caller's cgroups; read from /proc/self when absent. */
  layout?: CgroupLayout;
  /** The cgroup as recorded at create: its directories win over recomputing them. */
  recorded?: { mode: CgroupMode; path: string; dirs: Readonly<Record<string, string>> };
}

/**
 * The manager for a container's cgroup. Synchronous and side-effect free: it only reads
 * /proc/self/{mountinfo,cgroup}; nothing is created until apply().
 */
export function cgroupManagerFor(opts: CgroupManagerOptions): CgroupManager {
  const layout = opts.layout ?? readLayout();
  if (opts.recorded) return recordedManager(opts.recorded, layout);
  const mode = opts.mode ?? detectMode(layout);
  if (mode === 'v2') {
    const mount = layout.unified;
    if (!mount) throw new TsdError('unavailable', 'cgroup: cgroup v2 is not mounted');
    const path = hierarchyPath(opts.cgroupsPath, opts.containerId, layout.own.unified ?? '/');
    return new V2CgroupManager(path, dirFor(mount, path), mount.mountpoint);
  }
  const dirs: Record<string, string> = {};
  const mounts: Record<string, string> = {};
  let path: string | undefined;
  for (const [controller, mount] of layout.v1) {
    const own = layout.own.v1.get(controller) ?? '/';
    const p = hierarchyPath(opts.cgroupsPath, opts.containerId, own);
    dirs[controller] = dirFor(mount, p);
    mounts[controller] = mount.mountpoint;
    if (controller === 'memory' || path === undefined) path = p;
  }
  if (path === undefined) throw new TsdError('unavailable', 'cgroup: no cgroup v1 controller is mounted');
  return new V1CgroupManager(path, dirs, mounts);
}

/**
 * The manager of a cgroup created earlier, from its recorded directories: the same dirs whichever
 * cgroup the caller is in now (a relative cgroupsPath resolves against the caller's own cgroup).
 * The mountpoints only matter to apply(), which a recorded cgroup has had already.
 */
function recordedManager(recorded: NonNullable<CgroupManagerOptions['recorded']>, layout: CgroupLayout): CgroupManager {
  if (recorded.mode === 'v2') {
    const dir = recorded.dirs.unified;
    if (dir === undefined) throw new TsdError('internal', 'cgroup: the recorded v2 cgroup has no directory');
    return new V2CgroupManager(recorded.path, dir, layout.unified?.mountpoint ?? '/sys/fs/cgroup');
  }
  const mounts: Record<string, string> = {};
  for (const [controller, mount] of layout.v1) mounts[controller] = mount.mountpoint;
  return new V1CgroupManager(recorded.path, recorded.dirs, mounts);
}
