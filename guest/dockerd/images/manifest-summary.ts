/**
 * The image list's `Manifests` (API 1.47+, `GET /images/json?manifests=1`; what `docker image ls
 * --tree` shows): one ManifestSummary per manifest the image reaches — each entry of an index,
 * present or not, or the manifest itself — as Docker's containerd image store reports them:
 * Available (manifest, config and every layer in the content store), Size.Content (the present
 * blobs), Size.Total (+ unpacked snapshots), Kind image / attestation (buildx's
 * `vnd.docker.reference.type` annotation) / unknown (no layers: not runnable), and for images
 * the platform (index entry, else config), unpacked size and the containers using it.
 */
import { isIndexMediaType, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest, type Platform } from '../../api/oci-image-spec.js';
import type { EngineContext } from '../engine-context.js';
import { chainIds } from './chain-id.js';
import { layerUsage } from './image-json.js';
import type { LoadedImage } from './image-record.js';

export interface ManifestSummary {
  ID: string;
  Descriptor: Descriptor;
  Available: boolean;
  Size: { Content: number; Total: number };
  Kind: 'image' | 'attestation' | 'unknown';
  /** Containers is null when none use it (Go's nil slice, as dockerd sends it). */
  ImageData?: { Platform: Partial<Platform>; Size: { Unpacked: number }; Containers: string[] | null };
  AttestationData?: { For: string };
}

const LAYER_TYPE = /^application\/vnd\.(oci\.image\.layer\.v1\.tar|docker\.image\.rootfs\.(foreign\.)?diff\.tar)/;

export async function manifestSummaries(ctx: EngineContext, image: LoadedImage): Promise<ManifestSummary[]> {
  const targets = isIndexMediaType(image.target.mediaType)
    ? (await ctx.images.readJson<ImageIndex>(image.target.digest)).manifests
    : [image.target];
  const summaries: ManifestSummary[] = [];
  for (const target of targets) summaries.push(await summarize(ctx, image, target));
  return summaries;
}

async function summarize(ctx: EngineContext, image: LoadedImage, target: Descriptor): Promise<ManifestSummary> {
  const { content } = ctx.containerd;
  const summary: ManifestSummary = { ID: target.digest, Descriptor: target, Available: false, Size: { Content: 0, Total: 0 }, Kind: 'unknown' };
  const manifest = (await content.has(target.digest)) ? await ctx.images.readJson<ImageManifest>(target.digest).catch(() => undefined) : undefined;
  const blobs = manifest ? [target, manifest.config, ...manifest.layers] : [target];
  let present = 0;
  for (const blob of blobs) {
    if (!(await content.has(blob.digest))) continue;
    present++;
    summary.Size.Content += blob.size;
  }
  summary.Size.Total = summary.Size.Content;
  summary.Available = manifest !== undefined && present === blobs.length;
  const annotations = target.annotations ?? {};
  if (annotations['vnd.docker.reference.type'] === 'attestation-manifest') {
    const subject = annotations['vnd.docker.reference.digest'];
    if (subject) {
      summary.Kind = 'attestation';
      summary.AttestationData = { For: subject };
    }
    return summary;
  }
  // A present manifest without a single layer is no runnable image (an artifact, say).
  if (manifest && !manifest.layers.some((layer) => LAYER_TYPE.test(layer.mediaType))) return summary;
  const config = manifest && (await content.has(manifest.config.digest)) ? await ctx.images.readJson<ImageConfig>(manifest.config.digest).catch(() => undefined) : undefined;
  const platform: Partial<Platform> = { architecture: '', os: '', ...(target.platform ?? (config?.os ? platformOf(config) : {})) };
  let unpacked = 0;
  for (const chainId of chainIds(config?.rootfs?.diff_ids ?? [])) unpacked += (await layerUsage(ctx.containerd, chainId)) ?? 0;
  summary.Size.Total += unpacked;
  // Containers are created from the image's ID, the config of the manifest chosen for this engine.
  const containers = ctx.containers && manifest?.config.digest === image.id ? (await ctx.containers.usingImage(image.id)).map((c) => c.id) : [];
  summary.Kind = 'image';
  summary.ImageData = { Platform: platform, Size: { Unpacked: unpacked }, Containers: containers.length > 0 ? containers : null };
  return summary;
}

function platformOf(config: ImageConfig): Partial<Platform> {
  const platform: Partial<Platform> = { architecture: config.architecture, os: config.os };
  if (config['os.version']) platform['os.version'] = config['os.version'];
  if (config['os.features']?.length) platform['os.features'] = config['os.features'];
  if (config.variant) platform.variant = config.variant;
  return platform;
}
