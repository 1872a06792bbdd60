/**
 * Where the cgroup hierarchies are mounted, which mode to use, and where a container's cgroup
 * lives. Parsing and path resolution are pure; `readLayout` is the only I/O.
 *
 * Vocabulary: a *hierarchy path* is a cgroup's path inside its hierarchy ("/tsd-runc/abc", as
 * /proc/<pid>/cgroup shows it); a *dir* is where that cgroup is on the filesystem.
 */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { TsdError } from '../../api/errors.js';
import type { CgroupMode } from './cgroup-manager.js';

/** v1 controllers a container joins (those mounted), as runc's fs manager does. */
export const V1_CONTROLLERS = [
  'cpuset', 'cpu', 'cpuacct', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'hugetlb',
  'net_cls', 'net_prio', 'perf_event', 'rdma', 'name=systemd',
] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

export interface Mount {
  mountpoint: string;
  /** The hierarchy path mounted there ("/" unless a sub-tree is bind-mounted). */
  root: string;
}

export interface CgroupLayout {
  v1: Map<V1Controller, Mount>;
  unified?: Mount;
  /** The calling process's own hierarchy paths, from /proc/self/cgroup. */
  own: { v1: Map<string, string>; unified?: string };
}

/** Default parent when config.json has no cgroupsPath (runc would use "<id>" relative). */
export const DEFAULT_PARENT = '/tsd-runc';

export function parseMountinfo(text: string): Pick<CgroupLayout, 'v1' | 'unified'> {
  const v1 = new Map<V1Controller, Mount>();
  let unified: Mount | undefined;
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fields = line.slice(0, sep).split(' ');
    const [fstype, , superOptions = ''] = line.slice(sep + 3).split(' ');
    const mount = { root: unescape(fields[3] ?? '/'), mountpoint: unescape(fields[4] ?? '') };
    if (fstype === 'cgroup2') {
      // Prefer the canonical location when cgroup2 is mounted more than once.
      if (!unified || mount.mountpoint.startsWith('/sys/fs/cgroup')) unified = mount;
    } else if (fstype === 'cgroup') {
      for (const option of superOptions.split(',')) {
        const controller = V1_CONTROLLERS.find((c) => c === option);
        if (controller && !v1.has(controller)) v1.set(controller, mount);
      }
    }
  }
  return unified ? { v1, unified } : { v1 };
}

/** mountinfo escapes spaces and such as octal (\040). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseProcCgroup(text: string): CgroupLayout['own'] {
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') unified = m[3]!;
    else for (const controller of m[2]!.split(',')) v1.set(controller, m[3]!);
  }
  return unified === undefined ? { v1 } : { v1, unified };
}

/** v2 when no v1 controller is mounted (the guest); v1 on legacy and hybrid hosts, like runc. */
export function detectMode(layout: CgroupLayout): CgroupMode {
  if ([...layout.v1.keys()].some((c) => c !== 'name=systemd')) return 'v1';
  if (layout.unified) return 'v2';
  throw new TsdError('unavailable', 'cgroup: no cgroup hierarchy is mounted (neither cgroup v1 controllers nor cgroup2)');
}

/**
 * The container's hierarchy path relative to a caller in `own`: absolute cgroupsPath as is,
 * relative ones under the caller's own cgroup (runc's semantics), none → /tsd-runc/<id>.
 * Paths are cleaned so that ".." cannot climb above the hierarchy or the caller's cgroup.
 */
export function hierarchyPath(cgroupsPath: string | undefined, containerId: string, own: string): string {
  if (cgroupsPath === undefined || cgroupsPath === '') return posix.join(DEFAULT_PARENT, containerId);
  if (cgroupsPath.startsWith('/')) return posix.normalize(cgroupsPath);
  const relative = posix.normalize(`/${cgroupsPath}`);
  return posix.join(own, relative);
}

export function dirFor(mount: Mount, hierarchyPathValue: string): string {
  // A mount of a sub-tree (root ≠ "/") shows paths below its root only.
  const rel = mount.root !== '/' && hierarchyPathValue.startsWith(`${mount.root}/`)
    ? hierarchyPathValue.slice(mount.root.length)
    : hierarchyPathValue;
  return posix.join(mount.mountpoint, rel);
}

/** Synchronous: managers are built synchronously, and these are two small procfs reads. */
export function readLayout(): CgroupLayout {
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  const cgroup = readFileSync('/proc/self/cgroup', 'utf8');
  return { ...parseMountinfo(mountinfo), own: parseProcCgroup(cgroup) };
}
