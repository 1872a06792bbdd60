/**
 * How the engine configures networking (from daemon.json and flags; engine code builds this once).
 */
import { createHash } from 'node:crypto';
import type { ContainerLookup, PublishHook } from './api.js';

export interface AddressPool {
  /** e.g. "172.18.0.0/16" */
  base: string;
  /** prefix length of each network carved from base, e.g. 24 */
  size: number;
}

export interface NetworkingOptions {
  /** Engine data root; networks and endpoints persist under DATA_ROOT/network/. */
  dataRoot: string;
  /**
   * Distinguishes this engine's kernel objects from other engines' on the same kernel: the nftables
   * table is "tsd-<instance>". Use instanceFor(dataRoot).
   */
  instance: string;
  /** The default "bridge" network's Linux bridge (daemon.json "bridge"; never docker0 in host mode). */
  bridgeName: string;
  /** daemon.json "bip": the default bridge's gateway address with prefix, e.g. "172.17.0.1/16". */
  bip?: string;
  /** daemon.json "default-address-pools": where "bridge" (without bip) and user networks get subnets. */
  addressPools: AddressPool[];
  /** daemon.json "dns": nameservers for containers; also the embedded DNS's upstreams. */
  dns: string[];
  /** Upstream resolvers as host:port (tests point this at a loopback server); default: dns, else resolv.conf. */
  upstreams?: { host: string; port: number }[];
  /** The resolv.conf whose nameservers containers inherit (default /etc/resolv.conf). */
  resolvConfPath?: string;
  mtu: number;
  /** true: a userland proxy per published port; false: nftables DNAT (see docs/benchmarks.md). */
  userlandProxy: boolean;
  /** daemon.json "icc" for the default bridge; user networks read com.docker.network.bridge.enable_icc. */
  icc: boolean;
  /** The VM side's hook: also open each published port on the user's host. */
  publishHook?: PublishHook;
  /** Finds containers for /networks/{id}/connect and start-up pruning. */
  containers?: ContainerLookup;
  /** Docker's network events (connect/disconnect as endpoints come and go); the wiring sends them to the event log. */
  events?: (action: 'connect' | 'disconnect', network: { id: string; name: string }, containerId: string) => void;
}

/** Docker's default pools: 172.17–31.0.0/16 and 192.168.0.0/16 in /20s. */
export const DEFAULT_ADDRESS_POOLS: AddressPool[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/15', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/13', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

/** A short stable id for one engine (by its data root), for kernel object names. */
export function instanceFor(dataRoot: string): string {
  return createHash('sha256').update(dataRoot).digest('hex').slice(0, 8);
}

/** Host mode's default bridge name: "tsd" + 8 hex of the data root (Linux names fit 15 bytes). */
export function hostModeBridgeName(dataRoot: string): string {
  return `tsd${instanceFor(dataRoot)}`;
}

export function defaultNetworkingOptions(dataRoot: string, overrides: Partial<NetworkingOptions> = {}): NetworkingOptions {
  return {
    dataRoot,
    instance: instanceFor(dataRoot),
    bridgeName: 'docker0',
    addressPools: DEFAULT_ADDRESS_POOLS,
    dns: [],
    mtu: 1500,
    // nftables DNAT: 1.4–2.3x the proxy's throughput at a third of its latency (docs/benchmarks.md).
    userlandProxy: false,
    icc: true,
    ...overrides,
  };
}
