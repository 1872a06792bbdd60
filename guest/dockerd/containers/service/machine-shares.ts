/**
 * Bind sources in a machine's guest. The user's docker CLI runs on the host, so `-v $PWD:/src`
 * names a host path; the guest sees it only when it lies in a folder the machine shares (9p, at
 * the same path — the machine file's `mounts`). A source that exists in the guest is bound as
 * Docker would (guest paths such as /var/run/docker.sock stay usable); a source that does not
 * exist and lies outside every share is a host path the guest cannot see: creating an empty
 * directory for it (Docker's `-v` behaviour) would silently mount nothing, so the start fails
 * with an error naming the machine file key instead, as Docker Desktop's "Mounts denied" does.
 * Host mode (no boot configuration from the host) has no shares to check.
 */
import { readFileSync } from 'node:fs';
import { TsdError } from '../../../api/errors.js';
import { GUEST_CONFIG_PATH, type GuestMount } from '../../../api/guest-config.js';
import { isPathInside } from '../../../lib/path-inside.js';

export interface MachineShares {
  machineName: string;
  mounts: Pick<GuestMount, 'guestPath'>[];
}

let cached: { shares: MachineShares | null } | undefined;

/** The machine's shares from the boot configuration, or null outside a machine (read once). */
export function machineShares(configPath = GUEST_CONFIG_PATH): MachineShares | null {
  if (configPath !== GUEST_CONFIG_PATH) return readShares(configPath);
  cached ??= { shares: readShares(configPath) };
  return cached.shares;
}

function readShares(configPath: string): MachineShares | null {
  try {
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as { machineName?: unknown; mounts?: unknown };
    const mounts = Array.isArray(config.mounts) ? (config.mounts as { guestPath?: unknown }[]) : [];
    return {
      machineName: typeof config.machineName === 'string' ? config.machineName : 'default',
      mounts: mounts.filter((m) => typeof m.guestPath === 'string').map((m) => ({ guestPath: m.guestPath as string })),
    };
  } catch {
    return null;
  }
}

/** Throws for a missing bind source outside every share; call only when the source does not exist. */
export function checkMissingBindSource(source: string, shares: MachineShares | null): void {
  if (shares === null) return;
  if (shares.mounts.some((m) => isPathInside(source, m.guestPath))) return;
  const shared = shares.mounts.length === 0 ? 'none' : shares.mounts.map((m) => m.guestPath).join(', ');
  throw new TsdError(
    'invalid-argument',
    `Mounts denied: the path ${source} is not shared from the host into machine "${shares.machineName}" (shared: ${shared}). ` +
      `Add it under the key "mounts" of the machine file (~/.tsd/machines/${shares.machineName}/machine.yaml), then restart the machine`,
  );
}
