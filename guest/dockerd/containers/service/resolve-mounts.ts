/**
 * A container's mounts at start: its own (Binds, Mounts, Tmpfs; volumes resolved to host paths,
 * new ones filled from the image's directory), then the ones inherited with --volumes-from that
 * its own do not cover. Returns the OCI mounts and inspect's Mounts.
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

export async function resolveMounts(service: ContainerService, record: ContainerRecord, rootfs: string): Promise<{ oci: Spec['mounts'] & object; points: MountPoint[] }> {
  const oci: NonNullable<Spec['mounts']> = [];
  const points: MountPoint[] = [];
  const anonymous = new Set(record.Internal.anonymousVolumes);
  let anonymousIndex = 0;
  for (const m of plannedMounts(record.HostConfig)) {
    if (m.type === 'tmpfs') {
      oci.push(ociMount(m));
      continue;
    }
    if (m.type === 'bind') {
      if (!existsSync(m.source)) {
        checkMissingBindSource(m.source, machineShares());
        if (!m.createSource) throw new TsdError('invalid-argument', `invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
        await mkdir(m.source, { recursive: true });
      }
      oci.push(ociMount(m));
      points.push({ Type: 'bind', Source: m.source, Destination: m.destination, Mode: m.readOnly ? 'ro' : '', RW: !m.readOnly, Propagation: m.propagation });
      continue;
    }
    // Anonymous volumes keep their generated name across restarts (in creation order).
    let name = m.name;
    if (m.anonymous) name = record.Internal.anonymousVolumes[anonymousIndex++] ?? '';
    const copyFrom = m.noCopy ? undefined : await resolveInRoot(rootfs, m.destination);
    const volume = await service.deps.volumes.mount(name, record.ID, copyFrom && existsSync(copyFrom) ? { copyFrom } : {});
    if (m.anonymous && !anonymous.has(volume.name)) {
      record.Internal.anonymousVolumes.push(volume.name);
      anonymous.add(volume.name);
    }
    oci.push(ociMount(m, volume.path));
    points.push({ Type: 'volume', Name: volume.name, Source: volume.path, Destination: m.destination, Driver: 'local', Mode: m.readOnly ? 'ro' : 'z', RW: !m.readOnly, Propagation: '' });
  }
  // --volumes-from mounts, unless the container's own mounts cover their destination.
  const own = new Set(oci.map((m) => m.destination));
  for (const m of record.Internal.inheritedMounts ?? []) {
    if (own.has(m.destination)) continue;
    if (m.type === 'bind') {
      if (!existsSync(m.source)) await mkdir(m.source, { recursive: true });
      oci.push(ociMount({ ...m, createSource: false, fromBinds: true }));
      points.push({ Type: 'bind', Source: m.source, Destination: m.destination, Mode: m.readOnly ? 'ro' : '', RW: !m.readOnly, Propagation: m.propagation });
      continue;
    }
    const volume = await service.deps.volumes.mount(m.name, record.ID);
    oci.push(ociMount({ ...m, anonymous: false, noCopy: true }, volume.path));
    points.push({ Type: 'volume', Name: volume.name, Source: volume.path, Destination: m.destination, Driver: 'local', Mode: m.readOnly ? 'ro' : 'z', RW: !m.readOnly, Propagation: '' });
  }
  return { oci, points };
}
