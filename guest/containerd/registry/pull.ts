/**
 * Pulls an image into the content store: resolve (mirrors, then origin), pick the platform's
 * manifest from an index, download config and layers in parallel (verified), then store the
 * manifest and index last — children before parents, so that a pull killed at any moment never
 * leaves a manifest whose content is missing. Labels follow containerd's gc.ref convention.
 */
import { TsdError } from '../../api/errors.js';
import {
  formatReference,
  parseReference,
  type Descriptor,
  type ImageConfig,
  type ImageManifest,
  type ImageReference,
} from '../../api/oci-image-spec.js';
import type { ContentStore } from '../content/content-store.js';
import { fetchBlobInto } from './blobs.js';
import { mapLimit } from './limit.js';
import { fetchManifest, resolveOn, type FetchedManifest } from './manifests.js';
import { formatPlatform, hostPlatform, platformRank, selectManifest } from './platforms.js';
import type { RegistryClient, Repository } from './registry-client.js';
import { storeBytes } from './store-bytes.js';
import type { Endpoint, PlatformSpec, TransferListener } from './types.js';

export interface PullOptions {
  platform?: PlatformSpec;
  onEvent?: TransferListener;
}

export interface PulledImage {
  reference: ImageReference;
  endpoint: Endpoint;
  /** What the reference points at: an index or a manifest. */
  target: Descriptor;
  /** The manifest for the platform (equal to target for single-platform images). */
  manifest: Descriptor;
  config: ImageConfig;
  configDescriptor: Descriptor;
  layers: Descriptor[];
}

export async function pullImage(
  client: RegistryClient, store: ContentStore, reference: string | ImageReference, options: PullOptions = {},
): Promise<PulledImage> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const platform = options.platform ?? hostPlatform();
  return await client.onFirstEndpoint(ref, async (repository) => {
    const target = await resolveOn(client, repository, ref);
    options.onEvent?.({ kind: 'resolved', reference: formatReference(ref), digest: target.digest });
    const top = await fetchManifest(client, repository, target);
    const source = { [`containerd.io/distribution.source.${ref.domain}`]: ref.path };
    if (top.kind === 'index') {
      const chosen = selectManifest(top.index.manifests, platform, `index ${target.digest} of ${formatReference(ref)}`);
      const child = await fetchManifest(client, repository, chosen);
      if (child.kind !== 'manifest') throw new TsdError('unsupported', `${formatReference(ref)}: nested index ${chosen.digest} is not supported`);
      const image = await pullManifest(client, store, repository, ref, child, platform, options, source);
      const labels: Record<string, string> = { ...source };
      top.index.manifests.forEach((entry, i) => {
        if (entry.digest === chosen.digest) labels[`containerd.io/gc.ref.content.m.${i}`] = entry.digest;
      });
      await storeBytes(store, top.descriptor, top.bytes, labels);
      options.onEvent?.({ kind: 'manifest-done', digest: top.descriptor.digest });
      return { ...image, target: top.descriptor };
    }
    return await pullManifest(client, store, repository, ref, top, platform, options, source);
  });
}

async function pullManifest(
  client: RegistryClient,
  store: ContentStore,
  repository: Repository,
  ref: ImageReference,
  fetched: Extract<FetchedManifest, { kind: 'manifest' }>,
  platform: PlatformSpec,
  options: PullOptions,
  source: Record<string, string>,
): Promise<PulledImage> {
  const { manifest, descriptor } = fetched;
  const configDescriptor = manifest.config;
  await fetchBlobInto(client, repository, configDescriptor, store, { onEvent: options.onEvent, labels: source });
  const config = parseConfig(await store.readAll(configDescriptor.digest), configDescriptor, ref);
  if (platformRank(platform, { os: config.os, architecture: config.architecture, variant: config.variant }) === undefined) {
    throw new TsdError(
      'not-found',
      `no matching manifest for ${formatPlatform(platform)}: ${formatReference(ref)} is for ${formatPlatform(config)} only`,
    );
  }
  checkLayers(manifest, config, ref);
  await mapLimit(manifest.layers, client.options.concurrency ?? 3, async (layer) => {
    await fetchBlobInto(client, repository, layer, store, { onEvent: options.onEvent, labels: source });
  });
  const labels: Record<string, string> = { ...source, 'containerd.io/gc.ref.content.config': configDescriptor.digest };
  manifest.layers.forEach((layer, i) => (labels[`containerd.io/gc.ref.content.l.${i}`] = layer.digest));
  await storeBytes(store, descriptor, fetched.bytes, labels);
  options.onEvent?.({ kind: 'manifest-done', digest: descriptor.digest });
  return { reference: ref, endpoint: repository.endpoint, target: descriptor, manifest: descriptor, config, configDescriptor, layers: manifest.layers };
}

function parseConfig(bytes: Buffer, descriptor: Descriptor, ref: ImageReference): ImageConfig {
  let config: Partial<ImageConfig>;
  try {
    config = JSON.parse(bytes.toString('utf8')) as Partial<ImageConfig>;
  } catch (error) {
    throw new TsdError('invalid-argument', `${formatReference(ref)}: config ${descriptor.digest} is not valid JSON`, { cause: error });
  }
  if (typeof config.os !== 'string' || typeof config.architecture !== 'string' || !Array.isArray(config.rootfs?.diff_ids)) {
    throw new TsdError('invalid-argument', `${formatReference(ref)}: config ${descriptor.digest} lacks os, architecture or rootfs.diff_ids`);
  }
  return config as ImageConfig;
}

function checkLayers(manifest: ImageManifest, config: ImageConfig, ref: ImageReference): void {
  if (manifest.layers.length !== config.rootfs.diff_ids.length) {
    throw new TsdError(
      'invalid-argument',
      `${formatReference(ref)}: manifest has ${manifest.layers.length} layers but the config lists ${config.rootfs.diff_ids.length} diff_ids`,
    );
  }
}
