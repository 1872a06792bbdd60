/**
 * The device cgroup rules a container gets: the spec's rules, then allow rules for the default
 * devices the runtime itself creates and the few every container needs — ptys, the console, tun,
 * and mknod of anything (opening stays denied) — as runc appends them. linux.devices get no rule
 * of their own: as with runc, the spec's rules say what may be done with them (Docker's
 * `--device /dev/x:/dev/x:r` allows reading only).
 */
import type { LinuxDevice, LinuxDeviceCgroup, LinuxResources } from '../../api/oci-runtime-spec.js';
import { DEFAULT_DEVICES } from './devices.js';

const ALWAYS_ALLOWED: readonly LinuxDeviceCgroup[] = [
  { allow: true, type: 'c', major: null, minor: null, access: 'm' },
  { allow: true, type: 'b', major: null, minor: null, access: 'm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // /dev/console
  { allow: true, type: 'c', major: 136, minor: null, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun
];

export function withDeviceRules(resources: LinuxResources | undefined, _devices?: readonly LinuxDevice[]): LinuxResources {
  const created = DEFAULT_DEVICES
    .map((d): LinuxDeviceCgroup => ({ allow: true, type: d.type === 'b' ? 'b' : 'c', major: d.major ?? null, minor: d.minor ?? null, access: 'rwm' }));
  return { ...resources, devices: [...(resources?.devices ?? []), ...created, ...ALWAYS_ALLOWED] };
}
