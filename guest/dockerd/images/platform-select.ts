/**
 * The `platform` query parameter of image inspect (API 1.49) and history (1.48): a JSON-encoded
 * OCI platform, decoded with dockerd's checks, and the image's manifest for exactly that platform
 * among those present in the content store (containerd's strict matching, so `arm64` is
 * `arm64/v8`). Nothing present for it is a 404 in dockerd's words.
 */
import { TsdError } from '../../api/errors.js';
import { familiarReference, isIndexMediaType, type ImageConfig, type ImageIndex, type ImageManifest } from '../../api/oci-image-spec.js';
import { formatPlatform, platformRank } from '../../containerd/registry/platforms.js';
import type { PlatformSpec } from '../../containerd/registry/types.js';
import type { EngineContext } from '../engine-context.js';
import { chainIds } from './chain-id.js';
import { isDangling, safeParse, type LoadedImage } from './image-record.js';

/** dockerd's DecodePlatform: JSON, and both os and architecture present. */
export function decodePlatformQuery(text: string): PlatformSpec {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TsdError('invalid-argument', `failed to parse platform: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TsdError('invalid-argument', 'failed to parse platform: not a JSON object');
  const { os = '', architecture = '', variant = '', 'os.version': osVersion = '', 'os.features': osFeatures = [] } = parsed as Record<string, unknown>;
  if (![os, architecture, variant, osVersion].every((value) => typeof value === 'string') || !Array.isArray(osFeatures)) {
    throw new TsdError('invalid-argument', 'failed to parse platform: wrongly typed field');
  }
  const optional = variant !== '' || osVersion !== '' || osFeatures.length > 0;
  if (os === '' && architecture === '' && optional) throw new TsdError('invalid-argument', 'optional platform fields provided, but OS and Architecture are missing');
  if (os === '' || architecture === '') throw new TsdError('invalid-argument', 'both OS and Architecture must be provided');
  return { os: os as string, architecture: architecture as string, ...(variant ? { variant: variant as string } : {}) };
}

/** The image seen through its manifest for `wanted` (its ID and names unchanged). */
export async function imageForPlatform(ctx: EngineContext, image: LoadedImage, wanted: PlatformSpec): Promise<LoadedImage> {
  const { content } = ctx.containerd;
  const candidates = isIndexMediaType(image.target.mediaType) ? (await ctx.images.readJson<ImageIndex>(image.target.digest)).manifests : [image.target];
  for (const candidate of candidates) {
    if (!(await content.has(candidate.digest))) continue;
    const manifest = await ctx.images.readJson<ImageManifest>(candidate.digest);
    if (!manifest.config || !(await content.has(manifest.config.digest))) continue;
    const config = await ctx.images.readJson<ImageConfig>(manifest.config.digest);
    const platform = candidate.platform ?? { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
    if (platformRank(wanted, platform) !== 0) continue;
    return { ...image, manifestDescriptor: candidate, manifest, configDescriptor: manifest.config, config, chainIds: chainIds(config.rootfs?.diff_ids ?? []) };
  }
  const named = image.records.find((record) => !isDangling(record));
  const ref = named ? safeParse(named.name) : undefined;
  const name = ref ? familiarReference(ref) : image.id;
  throw new TsdError('not-found', `image with reference ${name} was found but does not provide the specified platform (${formatPlatform(wanted)})`);
}
