/**
 * The kernel filesystems every Linux userland expects, in the order they depend on each other.
 * A target that is already mounted (EBUSY: the kernel or a previous init did it) counts as done.
 */
import { mkdir } from 'node:fs/promises';
import { isTsdError } from '../api/errors.js';
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RELATIME, mount } from '../sys/mount.js';

export interface MountSpec {
  source: string;
  target: string;
  fstype: string;
  flags: number;
  data?: string;
  mode?: number;
}

const SECURE = MS_NOSUID | MS_NODEV | MS_NOEXEC;

export const BASE_MOUNTS: readonly MountSpec[] = [
  { source: 'proc', target: '/proc', fstype: 'proc', flags: SECURE },
  { source: 'sysfs', target: '/sys', fstype: 'sysfs', flags: SECURE },
  { source: 'devtmpfs', target: '/dev', fstype: 'devtmpfs', flags: MS_NOSUID, data: 'mode=0755' },
  { source: 'devpts', target: '/dev/pts', fstype: 'devpts', flags: MS_NOSUID | MS_NOEXEC, data: 'gid=5,mode=0620,ptmxmode=0666' },
  { source: 'shm', target: '/dev/shm', fstype: 'tmpfs', flags: MS_NOSUID | MS_NODEV, data: 'mode=1777' },
  { source: 'cgroup2', target: '/sys/fs/cgroup', fstype: 'cgroup2', flags: SECURE | MS_RELATIME, data: 'nsdelegate' },
  { source: 'run', target: '/run', fstype: 'tmpfs', flags: MS_NOSUID | MS_NODEV, data: 'mode=0755' },
  { source: 'tmp', target: '/tmp', fstype: 'tmpfs', flags: MS_NOSUID | MS_NODEV, data: 'mode=1777' },
];

export async function mountAll(specs: readonly MountSpec[], log: (line: string) => void): Promise<void> {
  for (const spec of specs) {
    await mkdir(spec.target, { recursive: true });
    try {
      mount(spec.source, spec.target, spec.fstype, spec.flags, spec.data);
    } catch (error) {
      if (isTsdError(error) && error.code === 'conflict') {
        log(`${spec.target} already mounted`);
        continue;
      }
      throw error;
    }
  }
}
