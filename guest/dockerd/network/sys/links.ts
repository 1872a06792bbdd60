/**
 * Kernel network objects: bridges, veth pairs with one end in a container's netns, addresses,
 * routes. Each function is one `ip -batch` per namespace touched.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { TsdError } from '../../../api/errors.js';
import { parseCidr, type Cidr } from '../ipam/ipv4.js';
import { ipBatch, ipJson, run } from './run.js';

export interface BridgeSpec {
  name: string;
  /** gateway address with the subnet's prefix, e.g. "172.18.0.1/16" */
  gatewayCidr: string;
  mtu: number;
}

export async function linkExists(name: string): Promise<boolean> {
  try {
    await ipJson(['link', 'show', 'dev', name]);
    return true;
  } catch {
    return false;
  }
}

/** Creates the bridge if missing, sets MTU, brings it up and gives it the gateway address (idempotent). */
export async function ensureBridge(spec: BridgeSpec): Promise<void> {
  const lines = (await linkExists(spec.name)) ? [] : [`link add name ${spec.name} type bridge`];
  lines.push(`link set dev ${spec.name} mtu ${spec.mtu} up`, `addr replace ${spec.gatewayCidr} dev ${spec.name}`);
  await ipBatch(lines);
}

/** Deletes a link if it exists (bridges of removed networks, host veths of stopped containers). */
export async function deleteLink(name: string): Promise<void> {
  if (await linkExists(name)) {
    await run(['ip', 'link', 'del', 'dev', name]).catch((error: unknown) => {
      // It may vanish between the check and the delete (its netns died): that is the goal anyway.
      if (!/Cannot find device/.test(String(error))) throw error;
    });
  }
}

/** IPv4 destinations the kernel already routes (other engines, VPNs, the host's LANs). */
export async function kernelRoutes(): Promise<Cidr[]> {
  const routes = await ipJson<{ dst: string }[]>(['-4', 'route', 'show', 'table', 'main']);
  return routes
    .filter((route) => route.dst !== 'default')
    .map((route) => parseCidr(route.dst.includes('/') ? route.dst : `${route.dst}/32`));
}

export interface VethSpec {
  /** host-side name (≤ 15 bytes) */
  hostName: string;
  /** name inside the container: eth0, eth1… */
  ifname: string;
  bridge: string;
  netnsPath: string;
  ip: string;
  prefix: number;
  mac: string;
  mtu: number;
  /** default route via this gateway (the container's first network) */
  gateway?: string;
  /** ICC off: isolated bridge ports cannot reach each other, only the gateway and the outside. */
  isolated: boolean;
  /**
   * DNAT publishing: with br_netfilter loaded, a container's packet to its own published port is
   * rewritten while being bridged and must leave by the port it came in on (Docker does the same).
   */
  hairpin: boolean;
}

/** A veth pair: one end on the bridge, the other created directly inside the container's netns. */
export async function attachVeth(spec: VethSpec): Promise<void> {
  if (/\s/.test(spec.netnsPath)) throw new TsdError('invalid-argument', `netns path with spaces: ${spec.netnsPath}`);
  const host = [
    `link add ${spec.hostName} mtu ${spec.mtu} type veth peer name ${spec.ifname} mtu ${spec.mtu} netns ${spec.netnsPath}`,
    `link set dev ${spec.hostName} master ${spec.bridge} up`,
    ...(spec.isolated ? [`link set dev ${spec.hostName} type bridge_slave isolated on`] : []),
    ...(spec.hairpin ? [`link set dev ${spec.hostName} type bridge_slave hairpin on`] : []),
  ];
  const inside = [
    'link set dev lo up',
    `link set dev ${spec.ifname} address ${spec.mac}`,
    `addr add ${spec.ip}/${spec.prefix} dev ${spec.ifname}`,
    `link set dev ${spec.ifname} up`,
  ];
  if (spec.gateway) inside.push(`route replace default via ${spec.gateway} dev ${spec.ifname}`);
  try {
    await ipBatch(host);
  } catch (error) {
    // The name is derived from the container and network ids, so an existing link of that name is a
    // stale host end (the engine died between attach and its record): replace it. (`ip -batch`
    // stops at the first failing line, so nothing else ran.)
    if (!/File exists/.test(String(error))) {
      await deleteLink(spec.hostName).catch(() => undefined);
      throw error;
    }
    await deleteLink(spec.hostName);
    await ipBatch(host);
  }
  try {
    await ipBatch(inside, spec.netnsPath);
  } catch (error) {
    await deleteLink(spec.hostName);
    throw error;
  }
}

/** Only loopback (NetworkMode none; endpoints bring lo up in their own batch). */
export async function loopbackUp(netnsPath: string): Promise<void> {
  await ipBatch(['link set dev lo up'], netnsPath);
}

/** Deletes the container's end from inside its netns (disconnect while running); the host end goes with it. */
export async function deleteInside(netnsPath: string, ifname: string): Promise<void> {
  await ipBatch([`link del dev ${ifname}`], netnsPath);
}

/** Writes a sysctl if it differs; `key` with slashes: "net/ipv4/ip_forward" (interface names may hold dots). */
export async function setSysctl(key: string, value: string): Promise<void> {
  const file = `/proc/sys/${key}`;
  if ((await readFile(file, 'utf8')).trim() !== value) await writeFile(file, value);
}
