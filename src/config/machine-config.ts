/**
 * The machine file: what a user declares in YAML, after defaults are applied.
 * Keys are camelCase like Lima's. Parsing, defaults and validation live beside this file.
 */
import type { GuestArch } from '../image/guest-image.js';

export type Accel = 'auto' | 'hvf' | 'whpx' | 'kvm' | 'tcg';

export interface MountSpec {
  /** Host path ("~" expanded). */
  location: string;
  /** Guest path; defaults to the same as location. */
  mountPoint: string;
  writable: boolean;
}

export interface PortForwardSpec {
  guestPort: number;
  hostPort: number;
  /** Host address to listen on; default 127.0.0.1. */
  hostIp: string;
  proto: 'tcp' | 'udp';
}

export interface MachineConfig {
  arch: GuestArch;
  accel: Accel;
  cpus: number;
  /** Memory in MiB. */
  memory: number;
  /** Data disk size in GiB. */
  disk: number;
  mounts: MountSpec[];
  portForwards: PortForwardSpec[];
  /** Mirrors for docker.io, tried in order. */
  registryMirrors: string[];
  /** host:port of registries reached over plain HTTP. */
  insecureRegistries: string[];
  /**
   * IPv4 resolvers the guest's engine forwards containers' lookups to (daemon.json `dns`);
   * empty: QEMU's DNS forwarder (10.0.2.3), which uses the host's resolvers.
   */
  dns: string[];
  env: Record<string, string>;
  /** Shell commands run in the guest at each boot, after the data disk is mounted. */
  provision: string[];
}
