/**
 * Where a host-mode engine keeps everything under its --root, and the network defaults that let it
 * run beside other engines: a bridge name and subnets derived from the root path, so two engines
 * with different roots get different ones (and the same root gets the same ones after a restart).
 */
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { AddressPool } from '../dockerd/config/engine-config.js';

export interface EngineLayout {
  root: string;
  containerdAddress: string;
  containerdRoot: string;
  containerdState: string;
  dataRoot: string;
  execRoot: string;
  /** The daemon.json the launcher hands dockerd: the user's file plus the network defaults. */
  daemonJson: string;
  logDir: string;
}

export function engineLayout(root: string): EngineLayout {
  const dir = resolve(root);
  return {
    root: dir,
    containerdAddress: join(dir, 'containerd.sock'),
    containerdRoot: join(dir, 'containerd', 'root'),
    containerdState: join(dir, 'containerd', 'state'),
    dataRoot: join(dir, 'docker'),
    execRoot: join(dir, 'exec'),
    daemonJson: join(dir, 'daemon.json'),
    logDir: join(dir, 'logs'),
  };
}

export interface NetworkDefaults {
  bridge: string;
  bip: string;
  'default-address-pools': AddressPool[];
}

/**
 * `tsd<6 hex>` (an interface name fits 15 characters), the default bridge on 10.X.Y.1/24 and user
 * networks from 10.X.0.0/16 in /24s (Y ≥ 128 is kept for the default bridge), with X in 200–249.
 */
export function networkDefaults(root: string): NetworkDefaults {
  const hash = createHash('sha256').update(resolve(root)).digest();
  const x = 200 + (hash[0]! % 50);
  const y = 128 + (hash[1]! % 128);
  return {
    bridge: `tsd${hash.subarray(2, 5).toString('hex')}`,
    bip: `10.${x}.${y}.1/24`,
    'default-address-pools': [{ base: `10.${x}.0.0/17`, size: 24 }],
  };
}
