/**
 * Writing new images into containerd (what `docker commit`, `docker import` and a builder need):
 * blobs streamed into the content store with their digest computed on the way, then config and
 * manifest (Docker schema2) with containerd's gc.ref labels, then the names — all under one lease,
 * so a crash in the middle leaves nothing that outlives the lease.
 */
import { createHash, randomBytes } from 'node:crypto';
import { MediaType, formatReference, parseReference, type Descriptor, type ImageConfig } from '../../api/oci-image-spec.js';
import type { ContentStore } from '../../containerd/content/content-store.js';
import { storeBytes } from '../../containerd/registry/store-bytes.js';
import type { EngineContext } from '../engine-context.js';
import { setImageName } from './image-names.js';
import { DANGLING_PREFIX } from './image-record.js';

/** Streams `source` into the store as one blob; returns its descriptor (digest computed while writing). */
export async function writeBlob(store: ContentStore, source: AsyncIterable<Buffer>, mediaType: string): Promise<Descriptor> {
  const writer = await store.writer(`write-${Date.now()}-${randomBytes(6).toString('hex')}`);
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of source) {
      hash.update(chunk);
      size += chunk.length;
      await writer.write(chunk);
    }
    const digest = `sha256:${hash.digest('hex')}`;
    try {
      await writer.commit(size, digest, {});
    } catch (error) {
      if ((error as { code?: string }).code !== 'already-exists') throw error;
    }
    return { mediaType, digest, size };
  } catch (error) {
    await writer.close();
    await store.abort(writer.ref).catch(() => undefined);
    throw error;
  } finally {
    await writer.close();
  }
}

export interface NewImage {
  config: ImageConfig;
  /** Layer blobs already in the content store (written with writeBlob), bottom first. */
  layers: Descriptor[];
  /** Names to give it (`repo:tag`); none leaves it dangling, listed by ID. */
  names: string[];
}

/** Stores config and manifest, names the image; returns its ID (config digest) and manifest. */
export async function writeImage(ctx: EngineContext, image: NewImage, lease?: string): Promise<{ id: string; manifest: Descriptor }> {
  const work = async (held: string): Promise<{ id: string; manifest: Descriptor }> => {
    const store = ctx.containerd.content.withLease(held);
    const configBytes = Buffer.from(JSON.stringify(image.config));
    const config = { mediaType: MediaType.dockerConfig, digest: sha256(configBytes), size: configBytes.length };
    await storeBytes(store, config, configBytes, {});
    const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.dockerManifest, config, layers: image.layers }));
    const manifest = { mediaType: MediaType.dockerManifest, digest: sha256(manifestBytes), size: manifestBytes.length };
    const labels: Record<string, string> = { 'containerd.io/gc.ref.content.config': config.digest };
    image.layers.forEach((layer, i) => (labels[`containerd.io/gc.ref.content.l.${i}`] = layer.digest));
    await storeBytes(store, manifest, manifestBytes, labels);
    if (image.names.length === 0) await ctx.containerd.images.put({ name: `${DANGLING_PREFIX}${manifest.digest}`, target: manifest });
    for (const name of image.names) await setImageName(ctx.containerd, formatReference(parseReference(name)), manifest);
    return { id: config.digest, manifest };
  };
  return lease ? await work(lease) : await ctx.containerd.leases.with('write-image', work);
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
