/**
 * A container's mounts at start: its own (Binds, Mounts, Tmpfs; volumes resolved to host paths,
 * new ones filled from the image's directory), then the ones inherited with --volumes-from that
 * its own do not cover. Returns the OCI mounts and inspect's Mounts; at create, the same walk
 * gives inspect's Mounts (createMountPoints).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { TsdError } from '../../../api/errors.js';
import type { Spec } from '../../../api/oci-runtime-spec.js';
import type { MountPoint } from '../docker-types.js';
import { ociMount, plannedMounts } from '../spec/mounts.js';
import type { ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from './container-service.js';
import { checkMissingBindSource, machineShares } from './machine-shares.js';
import { resolveInRoot } from './secure-path.js';

/** The image's directory at a volume's destination to copy into a new volume, if it has one. */
export type CopySource = (destination: string) => Promise<string | undefined>;

/** Destinations whose volumes get the image's content (copy-up): the container's own, not nocopy. */
export function copyUpDestinations(record: ContainerRecord): string[] {
  return plannedMounts(record.HostConfig).flatMap((m) => (m.type === 'volume' && !m.noCopy ? [m.destination] : []));
}

/** The copy source when the rootfs is mounted at `rootfs`. */
export function copyFromRootfs(rootfs: string): CopySource {
  return async (destination) => {
    const path = await resolveInRoot(rootfs, destination);
    return existsSync(path) ? path : undefined;
  };
}

/** How one walk over the mounts treats volumes and bind sources: at create, or at a start. */
interface Stage {
  /** A volume by name ('' for a new anonymous one), with the image content to copy into it. */
  volume(name: string, copyFrom: string | undefined): Promise<{ name: string; path: string }>;
  copySource?: CopySource;
  /** Bind sources are checked (and made for -v) when the container starts, as in Docker. */
  checkBinds: boolean;
}

/**
 * inspect's Mounts of a created container, as Docker registers them at create: named volumes are
 * created and anonymous ones (-v /path, image VOLUMEs, --mount without a source) made and named
 * now, and an empty one gets the image's content (`copySource`, Docker's populateVolumes); the
 * start mounts the same ones. Volumes are reserved for the container, not mounted.
 */
export async function createMountPoints(service: ContainerService, record: ContainerRecord, copySource?: CopySource): Promise<MountPoint[]> {
  const volumes = service.deps.volumes;
  const stage: Stage = {
    volume: async (name, copyFrom) => {
      const options = copyFrom ? { copyFrom } : {};
      return volumes.reserve ? volumes.reserve(name, record.ID, options) : volumes.mount(name, record.ID, options);
    },
    copySource,
    checkBinds: false,
  };
  return (await walkMounts(record, stage)).points;
}

export async function resolveMounts(service: ContainerService, record: ContainerRecord, copySource: CopySource): Promise<{ oci: Spec['mounts'] & object; points: MountPoint[] }> {
  const stage: Stage = {
    volume: async (name, copyFrom) => service.deps.volumes.mount(name, record.ID, copyFrom ? { copyFrom } : {}),
    copySource,
    checkBinds: true,
  };
  return await walkMounts(record, stage);
}

function bindPoint(m: { source: string; destination: string; readOnly: boolean; propagation: string }): MountPoint {
  return { Type: 'bind', Source: m.source, Destination: m.destination, Mode: m.readOnly ? 'ro' : '', RW: !m.readOnly, Propagation: m.propagation };
}

function volumePoint(volume: { name: string; path: string }, m: { destination: string; readOnly: boolean; bare?: boolean }): MountPoint {
  const mode = m.readOnly ? 'ro' : m.bare ? '' : 'z';
  return { Type: 'volume', Name: volume.name, Source: volume.path, Destination: m.destination, Driver: 'local', Mode: mode, RW: !m.readOnly, Propagation: '' };
}

async function walkMounts(record: ContainerRecord, stage: Stage): Promise<{ oci: Spec['mounts'] & object; points: MountPoint[] }> {
  const oci: NonNullable<Spec['mounts']> = [];
  const points: MountPoint[] = [];
  const anonymous = new Set(record.Internal.anonymousVolumes);
  let anonymousIndex = 0;
  for (const m of plannedMounts(record.HostConfig)) {
    if (m.type === 'tmpfs') {
      oci.push(ociMount(m));
      if (m.fromMounts) points.push({ Type: 'tmpfs', Source: '', Destination: m.destination, Mode: '', RW: !m.options.includes('ro'), Propagation: '' });
      continue;
    }
    if (m.type === 'bind') {
      if (stage.checkBinds && !existsSync(m.source)) {
        checkMissingBindSource(m.source, machineShares());
        if (!m.createSource) throw new TsdError('invalid-argument', `invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
        await mkdir(m.source, { recursive: true });
      }
      oci.push(ociMount(m));
      points.push(bindPoint(m));
      continue;
    }
    // Anonymous volumes keep their generated name across restarts (in creation order).
    let name = m.name;
    if (m.anonymous) name = record.Internal.anonymousVolumes[anonymousIndex++] ?? '';
    const copyFrom = m.noCopy || !stage.copySource ? undefined : await stage.copySource(m.destination);
    const volume = await stage.volume(name, copyFrom);
    if (m.anonymous && !anonymous.has(volume.name)) {
      record.Internal.anonymousVolumes.push(volume.name);
      anonymous.add(volume.name);
    }
    oci.push(ociMount(m, volume.path));
    points.push(volumePoint(volume, m));
  }
  // --volumes-from mounts, unless the container's own mounts cover their destination.
  const own = new Set(oci.map((m) => m.destination));
  for (const m of record.Internal.inheritedMounts ?? []) {
    if (own.has(m.destination)) continue;
    if (m.type === 'bind') {
      if (stage.checkBinds && !existsSync(m.source)) await mkdir(m.source, { recursive: true });
      oci.push(ociMount({ ...m, createSource: false, fromBinds: true }));
      points.push(bindPoint(m));
      continue;
    }
    const volume = await stage.volume(m.name, undefined);
    oci.push(ociMount({ ...m, anonymous: false, noCopy: true }, volume.path));
    points.push(volumePoint(volume, m));
  }
  return { oci, points };
}
