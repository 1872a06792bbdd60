/**
 * The kernel filesystems every Linux userland expects, in the order they depend on each other.
 * A target that is already mounted (the image's stage-1 init moves /proc, /sys and /dev into the
 * root it switches to) counts as done. Mounted with busybox (see busybox-mount.ts).
 */
import { readFile } from 'node:fs/promises';
import { TsdError } from '../api/errors.js';
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RELATIME } from '../sys/mount.js';
import { mountArgv } from './busybox-mount.js';
import { shellQuote } from './environment.js';
import { runCommand } from './run-command.js';

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

/** Mount points listed in /proc/self/mounts (empty before /proc is mounted). */
export function mountPoints(mounts: string): Set<string> {
  // Fields are space-separated; spaces inside a path are written as \040.
  return new Set(mounts.split('\n').flatMap((line) => (line.split(' ')[1] ?? '').replaceAll('\\040', ' ') || []));
}

/**
 * Mounts what is not mounted yet, in order, with one busybox shell (one spawn instead of one per
 * mount: spawns are not free under tcg).
 */
export async function mountAll(specs: readonly MountSpec[], log: (line: string) => void): Promise<void> {
  const mounted = mountPoints(await readFile('/proc/self/mounts', 'utf8').catch(() => ''));
  const pending = specs.filter((spec) => !mounted.has(spec.target));
  const skipped = specs.filter((spec) => mounted.has(spec.target)).map((spec) => spec.target);
  if (skipped.length > 0) log(`already mounted: ${skipped.join(' ')}`);
  if (pending.length === 0) return;
  const script = ['set -e', ...pending.flatMap((spec) => [`mkdir -p ${shellQuote(spec.target)}`, mountArgv(spec).map(shellQuote).join(' ')])];
  const result = await runCommand(['/bin/sh', '-c', script.join('\n')], { allowFailure: true });
  if (result.code !== 0) throw new TsdError('internal', `mounting the kernel filesystems: ${result.stderr.trim() || `exit ${result.code}`}`);
}
