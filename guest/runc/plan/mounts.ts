/**
 * Spec mounts → plan steps. Options are parsed like runc: flag options set or clear MS_* bits,
 * propagation options become separate mount calls, anything else is filesystem data. Bind mounts
 * with extra flags need a second, remount call (the kernel ignores them on the first).
 */
import type { Mount } from '../../api/oci-runtime-spec.js';
import { MOUNT_FLAG_OPTIONS, MS, PROPAGATION_OPTIONS } from './linux-constants.js';
import type { Step } from './steps.js';
import type { HostView } from './host-view.js';

export interface ParsedMountOptions {
  flags: number;
  propagation: number[];
  data: string[];
}

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  for (const option of options) {
    const flag = MOUNT_FLAG_OPTIONS[option];
    if (flag) {
      flags = flag.clear ? flags & ~flag.flag : flags | flag.flag;
    } else if (PROPAGATION_OPTIONS[option] !== undefined) {
      propagation.push(PROPAGATION_OPTIONS[option]);
    } else {
      data.push(option);
    }
  }
  return { flags, propagation, data };
}

export function isBind(mount: Mount): boolean {
  return mount.type === 'bind' || (mount.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

/** Steps for one spec mount; `target` is already resolved inside the rootfs. */
export function mountSteps(mount: Mount, target: string, bundle: string, host: HostView): Step[] {
  const { flags, propagation, data } = parseMountOptions(mount.options);
  const steps: Step[] = [];
  if (mount.type === 'cgroup') return cgroupMountSteps(target, flags, host);
  if (isBind(mount)) {
    const source = absoluteSource(mount.source ?? '', bundle);
    steps.push(host.isDirectory(source) ? ['mkdirp', target, 0o755] : ['touch', target]);
    steps.push(['mount', source, target, '', MS.BIND | (flags & MS.REC), '']);
    const extra = flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    if (extra !== 0) steps.push(['remount', target, extra | MS.BIND | (flags & MS.REC)]);
  } else {
    steps.push(['mkdirp', target, 0o755]);
    steps.push(['mount', mount.source ?? mount.type ?? 'none', target, mount.type ?? '', flags, data.join(',')]);
  }
  for (const p of propagation) steps.push(['mount', '', target, '', p, '']);
  return steps;
}

/**
 * A "cgroup" mount: cgroup2 when the host is unified (read-only by a bind remount); on v1 or hybrid hosts a tmpfs with one
 * read-only bind of the container's own cgroup per hierarchy (what runc does without cgroupns).
 */
function cgroupMountSteps(target: string, flags: number, host: HostView): Step[] {
  const steps: Step[] = [['mkdirp', target, 0o755]];
  const base = flags & (MS.NOSUID | MS.NODEV | MS.NOEXEC);
  if (host.cgroupV1Mounts.length === 0) {
    // cgroup2 has a single superblock, already mounted read-write: asking the kernel for it
    // read-only is EBUSY. Mount it as it is, then make this mount (not the superblock) read-only.
    steps.push(['mount', 'cgroup', target, 'cgroup2', flags & ~MS.RDONLY, '']);
    if (flags & MS.RDONLY) steps.push(['remount', target, MS.BIND | base | MS.RDONLY]);
    return steps;
  }
  steps.push(['mount', 'tmpfs', target, 'tmpfs', base, 'mode=755']);
  for (const { name, hostDir } of host.cgroupV1Mounts) {
    const dir = `${target}/${name}`;
    steps.push(['mkdirp', dir, 0o755], ['mount', hostDir, dir, '', MS.BIND | MS.REC, '']);
    steps.push(['remount', dir, MS.BIND | MS.REC | base | (flags & MS.RDONLY)]);
  }
  if (flags & MS.RDONLY) steps.push(['remount', target, base | MS.RDONLY]);
  return steps;
}

function absoluteSource(source: string, bundle: string): string {
  return source.startsWith('/') ? source : `${bundle}/${source}`;
}
