/**
 * Bind mounts through a machine: the engine runs in the guest, so `-v HOSTPATH:…` only works when
 * HOSTPATH lies in a folder the machine shares (machine file key `mounts`; by default the home
 * and temp directories, writable). The guest sees a share at its mountPoint, usually the same
 * path; when it differs the bind source is rewritten. Pure.
 */
import path from 'node:path';
import { TsdError } from '../../../guest/api/errors.js';
import { isPathInside } from '../../../guest/lib/path-inside.js';
import type { MountSpec } from '../../config/machine-config.js';

export interface MachineShares {
  machine: string;
  /** The machine file, named in the error so the user knows where to add the folder. */
  configPath: string;
  mounts: MountSpec[];
}

/** Rewrites the binds whose source is a host path; throws a clear error for a path not shared. */
export function mapBindsToGuest(binds: string[], sources: string[], shares: MachineShares): string[] {
  return binds.map((bind) => {
    const [source = '', ...rest] = bind.split(':');
    if (!sources.includes(source)) return bind; // a named volume
    const share = shares.mounts.find((mount) => isPathInside(source, mount.location));
    if (share === undefined) {
      const shared = shares.mounts.length === 0 ? 'none' : shares.mounts.map((mount) => mount.location).join(', ');
      throw new TsdError(
        'invalid-argument',
        `cannot bind ${source}: it is not inside a folder that machine "${shares.machine}" shares (shared: ${shared}). ` +
          `Add it under the key "mounts" of ${shares.configPath} (e.g. "mounts: [{location: ${source}}]", which replaces the defaults), then restart the machine`,
      );
    }
    const readOnly = rest.slice(1).join(',').split(',').includes('ro');
    if (!share.writable && !readOnly) {
      throw new TsdError(
        'invalid-argument',
        `cannot bind ${source} writable: machine "${shares.machine}" shares ${share.location} read-only ("writable: false" under "mounts" in ${shares.configPath}); add ":ro" to the -v option or make the share writable`,
      );
    }
    const guestSource = path.posix.join(share.mountPoint, path.relative(share.location, source).split(path.sep).join('/'));
    return [guestSource, ...rest].join(':');
  });
}
