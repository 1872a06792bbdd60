/** The boot configuration handed to the guest (guest/api/guest-config.ts), from the machine file. */
import { GUEST_CONFIG_VERSION, type GuestConfig } from '../../guest/api/guest-config.js';
import { mountTag } from '../../guest/api/guest-layout.js';
import type { MachineConfig } from '../config/machine-config.js';
import type { MachineKeys } from '../ssh/keys.js';

export function buildGuestConfig(name: string, config: MachineConfig, keys: MachineKeys): Omit<GuestConfig, 'hostTimeMs'> {
  return {
    version: GUEST_CONFIG_VERSION,
    machineName: name,
    hostname: `tsd-${name}`,
    authorizedKeys: [keys.clientPublic],
    hostKey: keys.hostPrivate,
    mounts: config.mounts.map((mount, index) => ({
      tag: mountTag(index),
      hostPath: mount.location,
      guestPath: mount.mountPoint,
      writable: mount.writable,
    })),
    env: { ...config.env },
    provision: [...config.provision],
    registryMirrors: [...config.registryMirrors],
    insecureRegistries: [...config.insecureRegistries],
    dns: [...config.dns],
  };
}
