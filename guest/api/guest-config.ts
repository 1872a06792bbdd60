/**
 * The configuration the host hands to the guest at boot.
 *
 * The host writes it as JSON to a file and passes it to QEMU with
 * `-fw_cfg name=<GUEST_CONFIG_FW_CFG_NAME>,file=<path>`; the guest init reads it from
 * /sys/firmware/qemu_fw_cfg/by_name/<GUEST_CONFIG_FW_CFG_NAME>/raw (module qemu_fw_cfg).
 */
export const GUEST_CONFIG_FW_CFG_NAME = 'opt/dev.tsd/guest-config';
/** Where the guest reads it (module qemu_fw_cfg). */
export const GUEST_CONFIG_PATH = `/sys/firmware/qemu_fw_cfg/by_name/${GUEST_CONFIG_FW_CFG_NAME}/raw`;
export const GUEST_CONFIG_VERSION = 1;

export interface GuestMount {
  /** 9p mount tag (see mountTag in guest-layout.ts). */
  tag: string;
  /** Path on the host; the guest mounts the share at the same path. */
  hostPath: string;
  guestPath: string;
  writable: boolean;
}

export interface GuestConfig {
  version: typeof GUEST_CONFIG_VERSION;
  machineName: string;
  hostname: string;
  /** OpenSSH public keys (one line each) allowed to log in as root. */
  authorizedKeys: string[];
  /** The guest's SSH host key, OpenSSH private key format; the host pins its public half. */
  hostKey: string;
  /** Host wall clock at the moment QEMU was started (ms since the epoch); the guest sets its clock from it. */
  hostTimeMs: number;
  mounts: GuestMount[];
  env: Record<string, string>;
  /** Shell commands run once per boot, after the data disk is mounted, in order. */
  provision: string[];
  registryMirrors: string[];
  insecureRegistries: string[];
  /** IPv4 resolvers for the engine's daemon.json `dns` (the machine file's `dns`); absent or empty: QEMU's forwarder. */
  dns?: string[];
}
