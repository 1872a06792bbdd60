/**
 * IPv4 arithmetic for IPAM: parsing addresses and CIDRs with clear errors, overlap, membership.
 * Addresses are unsigned 32-bit numbers.
 */
import { TsdError } from '../../../api/errors.js';

export interface Cidr {
  /** network address (host bits zero) */
  network: number;
  prefix: number;
}

export function parseIp(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) {
    throw new TsdError('invalid-argument', `invalid IPv4 address: ${JSON.stringify(text)}`);
  }
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

export function formatIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "10.1.0.0/16" → Cidr; with `strict`, host bits must be zero (Docker rejects "10.1.0.5/16" as a subnet). */
export function parseCidr(text: string, strict = false): Cidr & { address: number } {
  const [ip, prefixText, extra] = text.split('/');
  if (ip === undefined || prefixText === undefined || extra !== undefined || !/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) {
    throw new TsdError('invalid-argument', `invalid CIDR address: ${text}`);
  }
  const prefix = Number(prefixText);
  const address = parseIp(ip);
  const network = (address & maskOf(prefix)) >>> 0;
  if (strict && network !== address) {
    throw new TsdError('invalid-argument', `invalid subnet ${text}: it should be ${formatIp(network)}/${prefix}`);
  }
  return { network, prefix, address };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.network)}/${cidr.prefix}`;
}

export function size(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

export function contains(cidr: Cidr, ip: number): boolean {
  return ((ip & maskOf(cidr.prefix)) >>> 0) === cidr.network;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  return ((a.network & maskOf(prefix)) >>> 0) === ((b.network & maskOf(prefix)) >>> 0);
}

/** Docker derives a container's MAC from its IP: 02:42 followed by the four address bytes. */
export function macFor(ip: number): string {
  return ['02', '42', ...[24, 16, 8, 0].map((shift) => ((ip >>> shift) & 255).toString(16).padStart(2, '0'))].join(':');
}
