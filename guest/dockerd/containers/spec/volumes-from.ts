/**
 * HostConfig.VolumesFrom: "container[:mode]" entries, and the mounts a container inherits from
 * another one. Docker copies the source's mount points (same sources and destinations) at create;
 * a mode of "ro" makes them read-only, "rw" (the default) keeps each one's own mode, so a
 * read-only mount never becomes writable. Propagation and copy modes are refused, as in Docker.
 */
import { TsdError } from '../../../api/errors.js';

export interface VolumesFromEntry {
  /** Name or ID (prefix) of the source container. */
  container: string;
  readOnly: boolean;
}

/** A mount point one container shares with others (its own -v/--mount ones, and those it inherited). */
export type InheritedMount =
  | { type: 'bind'; source: string; destination: string; readOnly: boolean; propagation: string }
  | { type: 'volume'; name: string; destination: string; readOnly: boolean };

export function parseVolumesFrom(spec: string): VolumesFromEntry {
  if (spec === '') throw new TsdError('invalid-argument', 'volumes-from specification cannot be an empty string');
  const at = spec.indexOf(':');
  if (at < 0) return { container: spec, readOnly: false };
  const mode = spec.slice(at + 1);
  let access: string | undefined;
  let label: string | undefined;
  for (const part of mode.split(',')) {
    if ((part === 'ro' || part === 'rw') && access === undefined) access = part;
    else if ((part === 'z' || part === 'Z') && label === undefined) label = part;
    else throw new TsdError('invalid-argument', `invalid mode: ${mode}`);
  }
  return { container: spec.slice(0, at), readOnly: access === 'ro' };
}

/**
 * The mounts a new container gets from its sources, in order: a later source's mount at the same
 * destination replaces an earlier one's.
 */
export function inheritMounts(sources: ReadonlyArray<{ entry: VolumesFromEntry; mounts: readonly InheritedMount[] }>): InheritedMount[] {
  const byDestination = new Map<string, InheritedMount>();
  for (const { entry, mounts } of sources) {
    for (const m of mounts) byDestination.set(m.destination, { ...m, readOnly: m.readOnly || entry.readOnly });
  }
  return [...byDestination.values()];
}
