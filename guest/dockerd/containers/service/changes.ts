/**
 * `docker diff`: what the container changed in its filesystem, read from the overlay upper
 * directory of its snapshot — a whiteout (char 0:0) is a deletion, an entry absent from every
 * lower layer an addition, anything else a change. Parents of changed entries are reported as
 * changed, as Docker does. Kinds: 0 modified, 1 added, 2 deleted.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../../api/errors.js';
import type { ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from './container-service.js';

export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

function option(options: string[], name: string): string | undefined {
  return options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
}

export async function containerChanges(service: ContainerService, record: ContainerRecord): Promise<Change[]> {
  const [mount] = await service.deps.containerd.snapshots.mounts(record.Internal.snapshotKey);
  const upper = mount && mount.type === 'overlay' ? option(mount.options, 'upperdir') : undefined;
  if (!mount) throw new TsdError('internal', `container ${record.ID} has no rootfs snapshot`);
  if (!upper) {
    // A container on an image without layers: a bind of the snapshot, everything in it was added.
    return mount.type === 'bind' ? (await walk(mount.source, [], '')).map((p) => ({ Path: p.path, Kind: 1 as const })) : [];
  }
  const lowers = (option(mount.options, 'lowerdir') ?? '').split(':').filter(Boolean);
  // Mount points the runtime created for our bind mounts are not the container's changes.
  const mountPoints = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', ...record.Mounts.map((m) => m.Destination), ...Object.keys(record.HostConfig.Tmpfs ?? {})]);
  const changes = new Map<string, Change['Kind']>();
  for (const entry of await walk(upper, lowers, '')) {
    if (entry.kind === 1 && mountPoints.has(entry.path)) continue;
    changes.set(entry.path, entry.kind);
    // Every parent directory of a change is itself changed.
    for (let parent = entry.path.slice(0, entry.path.lastIndexOf('/')); parent; parent = parent.slice(0, parent.lastIndexOf('/'))) {
      if (!changes.has(parent)) changes.set(parent, 0);
    }
  }
  return [...changes].map(([Path, Kind]) => ({ Path, Kind })).sort((a, b) => (a.Path < b.Path ? -1 : 1));
}

async function existsInLower(lowers: string[], path: string): Promise<boolean> {
  for (const lower of lowers) if (await lstat(join(lower, path)).then(() => true, () => false)) return true;
  return false;
}

async function walk(dir: string, lowers: string[], prefix: string): Promise<Array<{ path: string; kind: Change['Kind'] }>> {
  const out: Array<{ path: string; kind: Change['Kind'] }> = [];
  for (const name of await readdir(join(dir, prefix)).catch(() => [] as string[])) {
    const path = `${prefix}/${name}`;
    const info = await lstat(join(dir, path));
    if (info.isCharacterDevice() && info.rdev === 0) {
      out.push({ path, kind: 2 });
      continue;
    }
    const existed = await existsInLower(lowers, path);
    // A directory that only carries changed children is reported through them (as a parent).
    if (!(info.isDirectory() && existed)) out.push({ path, kind: existed ? 0 : 1 });
    if (info.isDirectory()) out.push(...(await walk(dir, existed ? lowers : [], path)));
  }
  return out;
}
