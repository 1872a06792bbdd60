/**
 * Pure IPAM decisions: which subnet a new network gets, which address a new endpoint gets.
 * The caller passes everything taken (networks, kernel routes, endpoints), so the functions are
 * deterministic and unit-tested.
 */
import { TsdError } from '../../../api/errors.js';
import type { AddressPool } from '../network-options.js';
import { contains, formatCidr, formatIp, maskOf, overlaps, parseCidr, parseIp, size, type Cidr } from './ipv4.js';

export interface IpamConfig {
  Subnet: string;
  Gateway: string;
  IPRange?: string;
}

/** The first subnet of the pools that overlaps nothing taken. */
export function pickSubnet(pools: AddressPool[], taken: Cidr[]): Cidr {
  for (const pool of pools) {
    const base = parseCidr(pool.base);
    if (pool.size < base.prefix || pool.size > 30) {
      throw new TsdError('invalid-argument', `invalid address pool ${pool.base} size ${pool.size}`);
    }
    const step = 2 ** (32 - pool.size);
    for (let network = base.network; network < base.network + size(base); network += step) {
      const candidate = { network, prefix: pool.size };
      if (!taken.some((other) => overlaps(other, candidate))) return candidate;
    }
  }
  throw new TsdError('unavailable', 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}

/**
 * Completes and checks a user's IPAM config (Subnet required when Gateway or IPRange is given, like
 * Docker); `taken` are other networks' subnets.
 */
export function checkIpamConfig(requested: Partial<IpamConfig>, taken: Cidr[]): IpamConfig {
  if (!requested.Subnet) {
    throw new TsdError('invalid-argument', 'a subnet is required when a gateway or an IP range is given');
  }
  const subnet = parseCidr(requested.Subnet, true);
  if (subnet.prefix > 30) throw new TsdError('invalid-argument', `subnet ${requested.Subnet} is too small`);
  const clash = taken.find((other) => overlaps(other, subnet));
  if (clash) {
    throw new TsdError('conflict', `invalid pool request: Pool overlaps with other one on this address space`);
  }
  const gateway = requested.Gateway ? parseIp(requested.Gateway) : subnet.network + 1;
  if (!contains(subnet, gateway)) {
    throw new TsdError('invalid-argument', `no matching subnet for gateway ${requested.Gateway}`);
  }
  const config: IpamConfig = { Subnet: formatCidr(subnet), Gateway: formatIp(gateway) };
  if (requested.IPRange) {
    const range = parseCidr(requested.IPRange, true);
    if (range.prefix < subnet.prefix || !contains(subnet, range.network)) {
      throw new TsdError('invalid-argument', `IP range ${requested.IPRange} is not within subnet ${config.Subnet}`);
    }
    config.IPRange = formatCidr(range);
  }
  return config;
}

/** The lowest free address of the range (or subnet), skipping network, broadcast and gateway. */
export function pickAddress(config: IpamConfig, used: Set<string>): string {
  const subnet = parseCidr(config.Subnet);
  const range = config.IPRange ? parseCidr(config.IPRange) : subnet;
  const broadcast = (subnet.network | ~maskOf(subnet.prefix)) >>> 0;
  for (let ip = range.network; ip < range.network + size(range); ip++) {
    if (ip === subnet.network || ip === broadcast) continue;
    const text = formatIp(ip);
    if (text === config.Gateway || used.has(text)) continue;
    return text;
  }
  throw new TsdError('unavailable', `no available IPv4 addresses on this network's address pools: ${config.Subnet}`);
}

/** Checks a fixed address (EndpointsConfig IPAMConfig.IPv4Address). */
export function checkAddress(config: IpamConfig, address: string, used: Set<string>): string {
  const ip = parseIp(address);
  if (!contains(parseCidr(config.Subnet), ip)) {
    throw new TsdError('invalid-argument', `invalid endpoint settings: no configured subnet contains IP address ${address}`);
  }
  if (address === config.Gateway || used.has(address)) {
    throw new TsdError('conflict', `Address already in use`);
  }
  return address;
}
