/**
 * The machine file as the user wrote it, before defaults: every key optional, values already
 * of the right type (decode.ts checks types; validate.ts checks values after defaults).
 */
import type { MachineConfig, MountSpec, PortForwardSpec } from './machine-config.js';

export type MountEntry = Pick<MountSpec, 'location'> & Partial<Omit<MountSpec, 'location'>>;
export type PortForwardEntry = Pick<PortForwardSpec, 'guestPort'> & Partial<Omit<PortForwardSpec, 'guestPort'>>;

export type MachineFile = Partial<Omit<MachineConfig, 'mounts' | 'portForwards'>> & {
  mounts?: MountEntry[];
  portForwards?: PortForwardEntry[];
};

/** The top-level keys, in the order the template and marshal write them. */
export const MACHINE_KEYS = [
  'arch',
  'accel',
  'cpus',
  'memory',
  'disk',
  'mounts',
  'portForwards',
  'registryMirrors',
  'insecureRegistries',
  'dns',
  'env',
  'provision',
] as const satisfies readonly (keyof MachineConfig)[];

export const MOUNT_KEYS = ['location', 'mountPoint', 'writable'] as const satisfies readonly (keyof MountSpec)[];
export const PORT_FORWARD_KEYS = ['guestPort', 'hostPort', 'hostIp', 'proto'] as const satisfies readonly (keyof PortForwardSpec)[];

export const ARCHES = ['x86_64', 'aarch64'] as const;
export const ACCELS = ['auto', 'hvf', 'whpx', 'kvm', 'tcg'] as const;
export const PROTOS = ['tcp', 'udp'] as const;
