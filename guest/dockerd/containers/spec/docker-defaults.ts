/**
 * The parts of every container's spec that Docker fixes: the base filesystem mounts, the /proc
 * and /sys paths it masks or makes read-only, and the device cgroup rules.
 */
import type { LinuxDeviceCgroup, Mount } from '../../../api/oci-runtime-spec.js';

export function baseMounts(options: { shmSize: number; privileged: boolean; cgroupNamespace: boolean }): Mount[] {
  const sysOptions = ['nosuid', 'noexec', 'nodev', options.privileged ? 'rw' : 'ro'];
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: sysOptions },
    // With a private cgroup namespace the container sees its own cgroup as the root.
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [...sysOptions, 'relatime'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${Math.floor(options.shmSize / 1024)}k`] },
  ];
}

export const MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const char = (major: number | null, minor: number | null, access: string): LinuxDeviceCgroup => ({ allow: true, type: 'c', major, minor, access });

/** Deny everything, then allow mknod of anything and use of the usual character devices. */
export function defaultDeviceRules(privileged: boolean): LinuxDeviceCgroup[] {
  if (privileged) return [{ allow: true, access: 'rwm' }];
  return [
    { allow: false, access: 'rwm' },
    char(null, null, 'm'),
    { allow: true, type: 'b', major: null, minor: null, access: 'm' },
    char(1, 3, 'rwm'), // null
    char(1, 8, 'rwm'), // random
    char(1, 7, 'rwm'), // full
    char(5, 0, 'rwm'), // tty
    char(1, 5, 'rwm'), // zero
    char(1, 9, 'rwm'), // urandom
    char(136, null, 'rwm'), // pts
    char(5, 2, 'rwm'), // ptmx
    char(10, 200, 'rwm'), // tun
  ];
}
