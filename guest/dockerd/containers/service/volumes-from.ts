/**
 * Resolving `--volumes-from` at create: each source container's shareable mounts (binds and
 * volumes, its own and those it inherited itself). A source created before its anonymous volumes
 * were named at create has none yet: they are created now and recorded on the source, which then
 * mounts the same volumes when it starts.
 *
 * tmpfs, as moby does it (daemon/volumes.go registerMountPoints copies the source's MountPoints):
 * a HostConfig.Tmpfs (`--tmpfs`) entry is not a mount point and is not inherited; a
 * `--mount type=tmpfs` is one, with no source, and moby looks its "volume" up by the empty name
 * and fails the create with "get: no such volume" (404; moby#35194, open). We answer the same.
 */
import { TsdError } from '../../../api/errors.js';
import { plannedMounts } from '../spec/mounts.js';
import { inheritMounts, parseVolumesFrom, type InheritedMount, type VolumesFromEntry } from '../spec/volumes-from.js';
import type { ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from './container-service.js';

export interface VolumesFromSource {
  entry: VolumesFromEntry;
  record: ContainerRecord;
}

/** Parses the entries and finds their containers (400 for a bad mode, 404 "No such container"). */
export function findVolumesFromSources(service: ContainerService, specs: readonly string[]): VolumesFromSource[] {
  return specs.map((spec) => {
    const entry = parseVolumesFrom(spec);
    return { entry, record: service.find(entry.container) };
  });
}

export async function volumesFromMounts(service: ContainerService, sources: readonly VolumesFromSource[]): Promise<InheritedMount[]> {
  const resolved = [];
  for (const { entry, record } of sources) resolved.push({ entry, mounts: await shareableMounts(service, record) });
  return inheritMounts(resolved);
}

async function shareableMounts(service: ContainerService, record: ContainerRecord): Promise<InheritedMount[]> {
  const planned = plannedMounts(record.HostConfig);
  if (planned.some((m) => m.type === 'tmpfs' && m.fromMounts)) throw new TsdError('not-found', 'get: no such volume');
  const own: InheritedMount[] = [];
  let anonymousIndex = 0;
  let named = false;
  for (const m of planned) {
    if (m.type === 'tmpfs') continue;
    if (m.type === 'bind') {
      own.push({ type: 'bind', source: m.source, destination: m.destination, readOnly: m.readOnly, propagation: m.propagation });
      continue;
    }
    let name = m.name;
    if (m.anonymous) {
      name = record.Internal.anonymousVolumes[anonymousIndex++] ?? '';
      if (!name) {
        name = (await service.deps.volumes.mount('', record.ID)).name;
        record.Internal.anonymousVolumes.push(name);
        named = true;
      }
    }
    own.push({ type: 'volume', name, destination: m.destination, readOnly: m.readOnly });
  }
  if (named) await service.save(record);
  const ownDestinations = new Set(own.map((m) => m.destination));
  return [...(record.Internal.inheritedMounts ?? []).filter((m) => !ownDestinations.has(m.destination)), ...own];
}
