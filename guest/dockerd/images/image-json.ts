/**
 * Docker's JSON shapes for images: the list summary (GET /images/json), inspect
 * (GET /images/{name}/json) and history entries, built from a LoadedImage.
 */
import type { HistoryEntry } from '../../api/oci-image-spec.js';
import type { ApiVersion } from '../api-version.js';
import type { ContainerdClient } from '../containerd/containerd-client.js';
import { repoDigests, repoTags, type LoadedImage } from './image-record.js';

/**
 * Disk usage of committed snapshots, per client: a committed snapshot never changes, and asking
 * containerd walks its directory, so each chain ID is measured once.
 */
const usageCache = new WeakMap<ContainerdClient, Map<string, number>>();

export async function layerUsage(containerd: ContainerdClient, chainId: string): Promise<number | undefined> {
  let cache = usageCache.get(containerd);
  if (!cache) usageCache.set(containerd, (cache = new Map()));
  const known = cache.get(chainId);
  if (known !== undefined) return known;
  const usage = await containerd.snapshots.usage(chainId).catch(() => undefined);
  if (usage) cache.set(chainId, usage.size);
  return usage?.size;
}

/** Unpacked size: the snapshots' usage when unpacked, else the layers' compressed sizes. */
export async function imageSize(containerd: ContainerdClient, image: LoadedImage): Promise<number> {
  let total = 0;
  for (const [i, chainId] of image.chainIds.entries()) {
    total += (await layerUsage(containerd, chainId)) ?? image.manifest.layers[i]?.size ?? 0;
  }
  return total;
}

export function createdSeconds(image: LoadedImage): number {
  const created = image.config.created ? Date.parse(image.config.created) : NaN;
  return Number.isNaN(created) ? 0 : Math.floor(created / 1000);
}

export function lastTagTime(image: LoadedImage): string {
  const times = image.records.map((r) => r.updatedAt.getTime()).filter((t) => t > 0);
  return times.length > 0 ? new Date(Math.max(...times)).toISOString() : '0001-01-01T00:00:00Z';
}

export async function imageSummary(containerd: ContainerdClient, image: LoadedImage, containers: number): Promise<Record<string, unknown>> {
  const size = await imageSize(containerd, image);
  return {
    Id: image.id,
    ParentId: '',
    RepoTags: repoTags(image),
    RepoDigests: repoDigests(image),
    Created: createdSeconds(image),
    Size: size,
    SharedSize: -1,
    VirtualSize: size,
    Labels: image.config.config?.Labels ?? {},
    Containers: containers,
  };
}

export async function imageInspect(containerd: ContainerdClient, image: LoadedImage, version: ApiVersion): Promise<Record<string, unknown>> {
  const size = await imageSize(containerd, image);
  const runtime = image.config.config ?? {};
  const body: Record<string, unknown> = {
    Id: image.id,
    RepoTags: repoTags(image),
    RepoDigests: repoDigests(image),
    Parent: '',
    Comment: image.config.history?.at(-1)?.comment ?? '',
    Created: image.config.created ?? '',
    DockerVersion: '',
    Author: image.config.author ?? '',
    Config: {
      User: runtime.User ?? '',
      ExposedPorts: runtime.ExposedPorts,
      Env: runtime.Env ?? null,
      Cmd: runtime.Cmd ?? null,
      Healthcheck: runtime.Healthcheck,
      ArgsEscaped: runtime.ArgsEscaped,
      Volumes: runtime.Volumes ?? null,
      WorkingDir: runtime.WorkingDir ?? '',
      Entrypoint: runtime.Entrypoint ?? null,
      OnBuild: runtime.OnBuild ?? null,
      Labels: runtime.Labels ?? null,
      StopSignal: runtime.StopSignal,
      Shell: runtime.Shell,
    },
    Architecture: image.config.architecture,
    Variant: image.config.variant,
    Os: image.config.os,
    Size: size,
    GraphDriver: { Name: 'overlayfs', Data: null },
    RootFS: { Type: 'layers', Layers: image.config.rootfs.diff_ids },
    Metadata: { LastTagTime: lastTagTime(image) },
  };
  if (version.major === 1 && version.minor < 44) {
    body.VirtualSize = size;
    body.Container = '';
    body.ContainerConfig = null;
  }
  if (version.major > 1 || version.minor >= 48) {
    body.Descriptor = { mediaType: image.target.mediaType, digest: image.target.digest, size: image.target.size };
  }
  return body;
}

/** Newest first, as `docker history` prints; layer sizes from the snapshots when unpacked. */
export async function imageHistory(containerd: ContainerdClient, image: LoadedImage): Promise<Array<Record<string, unknown>>> {
  const history: HistoryEntry[] = image.config.history ?? image.config.rootfs.diff_ids.map(() => ({}));
  let layer = 0;
  const entries: Array<Record<string, unknown>> = [];
  for (const entry of history) {
    let size = 0;
    if (!entry.empty_layer) {
      const chainId = image.chainIds[layer];
      size = (chainId ? await layerUsage(containerd, chainId) : undefined) ?? image.manifest.layers[layer]?.size ?? 0;
      layer++;
    }
    const created = entry.created ? Date.parse(entry.created) : NaN;
    entries.push({
      Id: '<missing>',
      Created: Number.isNaN(created) ? 0 : Math.floor(created / 1000),
      CreatedBy: entry.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: entry.comment ?? '',
    });
  }
  entries.reverse();
  if (entries[0]) {
    entries[0].Id = image.id;
    entries[0].Tags = repoTags(image);
  }
  return entries;
}
