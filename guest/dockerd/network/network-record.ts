/**
 * A network as persisted and as GET /networks/{id} shows it (Docker's field names, so inspect is a
 * projection). `Bridge` is ours: the Linux bridge of a bridge network.
 */
import { TsdError } from '../../api/errors.js';
import type { IpamConfig } from './ipam/allocator.js';

export type NetworkDriver = 'bridge' | 'host' | 'null';

export interface NetworkRecord {
  Id: string;
  Name: string;
  Created: string;
  Driver: NetworkDriver;
  Internal: boolean;
  Attachable: boolean;
  IPAM: { Driver: 'default'; Options: Record<string, string> | null; Config: IpamConfig[] };
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** Linux bridge name (bridge driver only) */
  Bridge?: string;
}

export const PREDEFINED = ['bridge', 'host', 'none'] as const;

export function isPredefined(record: NetworkRecord): boolean {
  return (PREDEFINED as readonly string[]).includes(record.Name);
}

/** Docker answers 403 for these; the route module maps this class to that status. */
export class ForbiddenError extends TsdError {
  constructor(message: string) {
    super('invalid-argument', message);
  }
}

export const OPT_ICC = 'com.docker.network.bridge.enable_icc';
export const OPT_MASQUERADE = 'com.docker.network.bridge.enable_ip_masquerade';
export const OPT_BRIDGE_NAME = 'com.docker.network.bridge.name';
export const OPT_MTU = 'com.docker.network.driver.mtu';

export function optionFlag(record: NetworkRecord, key: string, fallback: boolean): boolean {
  const value = record.Options[key];
  return value === undefined ? fallback : value === 'true' || value === '1';
}

/** Docker's rule for network names. */
export function checkNetworkName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new TsdError('invalid-argument', 'network name must not be empty');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
    throw new TsdError('invalid-argument', `invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name;
}
