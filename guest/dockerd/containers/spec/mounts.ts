/**
 * Binds ("src:dst[:opts]"), Mounts ({Type, Source, Target, …}) and Tmpfs ({dst: "opts"}) → one
 * list of planned mounts. Named and anonymous volumes are left as `volume` entries for the volume
 * store to resolve to a host path; bind sources are host paths. Wording follows Docker's
 * volume/mounts parser.
 */
import { isAbsolute, normalize } from 'node:path';
import { TsdError } from '../../../api/errors.js';
import type { Mount } from '../../../api/oci-runtime-spec.js';
import type { HostConfig, MountSpec } from '../docker-types.js';

export type PlannedMount =
  | { type: 'bind'; source: string; destination: string; readOnly: boolean; propagation: string; createSource: boolean; fromBinds: boolean }
  | { type: 'volume'; name: string; destination: string; readOnly: boolean; anonymous: boolean; noCopy: boolean; bare?: boolean }
  | { type: 'tmpfs'; destination: string; options: string[]; fromMounts?: boolean };
// bare: a `-v /path` entry (or an image VOLUME): Docker's mount point has no Mode for it.
// fromMounts: a `--mount type=tmpfs`, which Docker keeps as a mount point (inspect's Mounts,
// --volumes-from); a HostConfig.Tmpfs entry is not one.

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function invalidSpec(spec: string, why?: string): TsdError {
  return new TsdError('invalid-argument', why ? `invalid volume specification: '${spec}': ${why}` : `invalid volume specification: '${spec}'`);
}

function cleanPath(path: string): string {
  const clean = normalize(path);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

function checkDestination(destination: string, spec: string): string {
  if (!isAbsolute(destination)) throw invalidSpec(spec, `invalid mount config for type "bind": invalid mount path: '${destination}' mount path must be absolute`);
  const clean = cleanPath(destination);
  if (clean === '/') throw invalidSpec(spec, 'invalid mount config: destination can\'t be \'/\'');
  return clean;
}

/** One -v entry. */
export function parseBind(spec: string): PlannedMount {
  const parts = spec.split(':');
  if (parts.length === 1) {
    // "-v /data" is an anonymous volume.
    return { type: 'volume', name: '', destination: checkDestination(parts[0]!, spec), readOnly: false, anonymous: true, noCopy: false, bare: true };
  }
  if (parts.length > 3 || parts.some((p) => p === '')) throw invalidSpec(spec);
  const [source, target, modeText = ''] = parts as [string, string, string?];
  const modes = modeText === '' ? [] : modeText.split(',');
  let readOnly = false;
  let propagation = 'rprivate';
  let noCopy = false;
  for (const mode of modes) {
    if (mode === 'ro') readOnly = true;
    else if (mode === 'rw') readOnly = false;
    else if (PROPAGATIONS.includes(mode)) propagation = mode;
    else if (mode === 'nocopy') noCopy = true;
    else if (mode === 'z' || mode === 'Z' || mode === 'consistent' || mode === 'cached' || mode === 'delegated') continue;
    else throw invalidSpec(spec, `invalid mode: ${mode}`);
  }
  const destination = checkDestination(target, spec);
  if (isAbsolute(source)) {
    return { type: 'bind', source: cleanPath(source), destination, readOnly, propagation, createSource: true, fromBinds: true };
  }
  if (!VOLUME_NAME.test(source)) {
    throw new TsdError('invalid-argument', `create ${source}: "${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  return { type: 'volume', name: source, destination, readOnly, anonymous: false, noCopy };
}

/** One HostConfig.Mounts entry. */
export function parseMountSpec(m: MountSpec): PlannedMount {
  const type = m.Type ?? '';
  const bad = (why: string): TsdError => new TsdError('invalid-argument', `invalid mount config for type "${type}": ${why}`);
  if (!m.Target) throw bad('field Target must not be empty');
  const spec = `${m.Source ?? ''}:${m.Target}`;
  if (!isAbsolute(m.Target)) throw bad(`invalid mount path: '${m.Target}' mount path must be absolute`);
  const destination = checkDestination(m.Target, spec);
  switch (type) {
    case 'bind': {
      if (!m.Source) throw bad('field Source must not be empty');
      if (!isAbsolute(m.Source)) throw bad(`invalid mount path: '${m.Source}' mount path must be absolute`);
      if (m.VolumeOptions) throw bad('field VolumeOptions must not be specified');
      if (m.TmpfsOptions) throw bad('field TmpfsOptions must not be specified');
      const propagation = m.BindOptions?.Propagation || 'rprivate';
      if (!PROPAGATIONS.includes(propagation)) throw bad(`invalid propagation mode: ${propagation}`);
      return { type: 'bind', source: cleanPath(m.Source), destination, readOnly: !!m.ReadOnly, propagation, createSource: !!m.BindOptions?.CreateMountpoint, fromBinds: false };
    }
    case 'volume': {
      if (m.BindOptions) throw bad('field BindOptions must not be specified');
      if (m.TmpfsOptions) throw bad('field TmpfsOptions must not be specified');
      if (m.Source && !VOLUME_NAME.test(m.Source)) throw bad(`invalid volume name: ${m.Source}`);
      return { type: 'volume', name: m.Source ?? '', destination, readOnly: !!m.ReadOnly, anonymous: !m.Source, noCopy: !!m.VolumeOptions?.NoCopy };
    }
    case 'tmpfs': {
      if (m.Source) throw bad('field Source must not be specified');
      if (m.BindOptions) throw bad('field BindOptions must not be specified');
      if (m.VolumeOptions) throw bad('field VolumeOptions must not be specified');
      const options = ['nosuid', 'nodev', 'noexec'];
      if (m.ReadOnly) options.push('ro');
      const size = m.TmpfsOptions?.SizeBytes;
      if (size !== undefined) {
        if (size < 0) throw bad(`invalid tmpfs size: ${size}`);
        if (size > 0) options.push(`size=${Math.ceil(size / 1024)}k`);
      }
      if (m.TmpfsOptions?.Mode) options.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
      return { type: 'tmpfs', destination, options, fromMounts: true };
    }
    default:
      throw bad('mount type unknown');
  }
}

/** `--tmpfs /run:rw,size=64m`: options as given, Docker's defaults first. */
export function parseTmpfs(destination: string, options: string): PlannedMount {
  const dest = checkDestination(destination, destination);
  const given = options === '' ? [] : options.split(',');
  const defaults = ['noexec', 'nosuid', 'nodev'].filter((d) => !given.includes(d.replace(/^no/, '')) && !given.includes(d));
  return { type: 'tmpfs', destination: dest, options: [...defaults, ...given] };
}

/** All user mounts of a HostConfig (Binds, Mounts, Tmpfs); a destination twice is Docker's 400. */
export function plannedMounts(host: HostConfig): PlannedMount[] {
  const mounts: PlannedMount[] = [
    ...(host.Binds ?? []).map(parseBind),
    ...(host.Mounts ?? []).map(parseMountSpec),
    ...Object.entries(host.Tmpfs ?? {}).map(([dest, opts]) => parseTmpfs(dest, opts)),
  ];
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.destination)) throw new TsdError('invalid-argument', `Duplicate mount point: ${m.destination}`);
    seen.add(m.destination);
  }
  return mounts;
}

/** A resolved mount (volumes already turned into host paths) → an OCI mount. */
export function ociMount(m: PlannedMount, volumePath?: string): Mount {
  if (m.type === 'tmpfs') return { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: m.options };
  const source = m.type === 'bind' ? m.source : volumePath;
  if (!source) throw new TsdError('internal', `volume for ${m.destination} has no path`);
  const options = ['rbind', m.readOnly ? 'ro' : 'rw'];
  options.push(m.type === 'bind' ? m.propagation : 'rprivate');
  return { destination: m.destination, type: 'bind', source, options };
}
