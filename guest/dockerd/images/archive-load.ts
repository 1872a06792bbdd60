/**
 * `docker load`: reads an archive in Docker's format (manifest.json with Config, RepoTags and
 * Layers — classic `<id>/layer.tar` or Docker 25+ `blobs/sha256/…`), optionally with an OCI
 * index.json, or a plain OCI image layout. Blobs go into containerd's content store under a lease; when index.json holds the
 * original manifest of an image it is kept (same digest, so RepoDigests survive a round trip),
 * otherwise a Docker schema2 manifest is made. Images are unpacked and named from RepoTags;
 * an image without tags stays as `moby-dangling@…` and is reported by ID.
 *
 * With `platform` (API 1.48 `docker load --platform`) only the archive's images of that platform
 * (strict match, as save and inspect do) are loaded and unpacked. An image of the archive that
 * has none is moby's 404 "image NAME was loaded, but doesn't provide the requested platform
 * ([os/arch])"; moby has named it by then (its import keeps the index), we load nothing of it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../api/errors.js';
import {
  familiarReference,
  formatReference,
  isIndexMediaType,
  MediaType,
  parseReference,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from '../../api/oci-image-spec.js';
import type { ContentStore } from '../../containerd/content/content-store.js';
import { storeBytes } from '../../containerd/registry/store-bytes.js';
import type { EngineContext } from '../engine-context.js';
import { extractArchive, type ExtractedArchive } from './archive-extract.js';
import { setImageName } from './image-names.js';
import { DANGLING_PREFIX } from './image-record.js';
import { unpackImage } from './unpack.js';
import { imageForPlatform } from './platform-select.js';
import { formatPlatform, platformRank } from '../../containerd/registry/platforms.js';
import type { PlatformSpec } from '../../containerd/registry/types.js';

interface ManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

export interface LoadResult {
  /** Familiar names loaded, or `sha256:…` IDs for untagged images. */
  loaded: Array<{ tag?: string; id: string }>;
}

export async function loadImages(ctx: EngineContext, input: AsyncIterable<Buffer>, options: { platform?: PlatformSpec } = {}): Promise<LoadResult> {
  const dir = join(ctx.config.execRoot, `load-${Date.now()}-${randomBytes(4).toString('hex')}`);
  try {
    const archive = await extractArchive(input, dir);
    const all = await readManifestJson(archive);
    const entries = options.platform ? await entriesForPlatform(archive, all, options.platform) : all;
    const originals = await originalManifests(archive);
    const loaded: LoadResult['loaded'] = [];
    await ctx.containerd.leases.with('load', async (lease) => {
      const store = ctx.containerd.content.withLease(lease);
      for (const entry of entries) {
        const configPath = need(archive, entry.Config, 'config');
        const configBytes = await readFile(configPath);
        const configDigest = sha256(configBytes);
        const config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
        if (!Array.isArray(config.rootfs?.diff_ids) || config.rootfs.diff_ids.length !== entry.Layers.length) {
          throw new TsdError('invalid-argument', `invalid image archive: config ${entry.Config} lists ${config.rootfs?.diff_ids?.length ?? 0} layers, manifest.json ${entry.Layers.length}`);
        }
        const layers: Descriptor[] = [];
        for (const layerPath of entry.Layers) layers.push(await storeFile(store, need(archive, layerPath, 'layer')));
        const configDescriptor = { mediaType: MediaType.dockerConfig, digest: configDigest, size: configBytes.length };
        await storeBytes(store, configDescriptor, configBytes, {});
        const target = originals.get(configDigest) ?? schema2Manifest(configDescriptor, layers);
        await storeTarget(store, archive, target, layers, configDigest);
        const record = { name: 'load', labels: {}, target: target.descriptor, createdAt: new Date(), updatedAt: new Date() };
        const image = await ctx.images.load(record);
        await unpackImage(ctx.containerd, options.platform ? await imageForPlatform(ctx, image, options.platform) : image);
        const tags = entry.RepoTags ?? [];
        for (const tag of tags) {
          const ref = parseReference(tag);
          await setImageName(ctx.containerd, formatReference(ref), target.descriptor);
          loaded.push({ tag: familiarReference(ref), id: image.id });
        }
        if (tags.length === 0) {
          await ctx.containerd.images.put({ name: `${DANGLING_PREFIX}${target.descriptor.digest}`, target: target.descriptor });
          loaded.push({ id: image.id });
        }
        ctx.events.publish({ type: 'image', action: 'load', actor: image.id, attributes: { name: tags[0] ?? image.id } });
      }
    });
    return { loaded };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The entries of `wanted`'s platform (read from their configs); an image with none is moby's 404. */
async function entriesForPlatform(archive: ExtractedArchive, entries: ManifestEntry[], wanted: PlatformSpec): Promise<ManifestEntry[]> {
  const kept: ManifestEntry[] = [];
  const images = new Map<string, boolean>();
  for (const entry of entries) {
    const configBytes = await readFile(need(archive, entry.Config, 'config'));
    const config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
    const platform = { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
    const matches = platformRank(wanted, platform) === 0;
    if (matches) kept.push(entry);
    // The images of the archive are its names (an untagged entry is an image of its own, by ID).
    const names = entry.RepoTags?.length ? entry.RepoTags.map((tag) => familiarReference(parseReference(tag))) : [sha256(configBytes)];
    for (const name of names) images.set(name, (images.get(name) ?? false) || matches);
  }
  const lacking = [...images].filter(([, provided]) => !provided).map(([name]) => name);
  const platforms = `[${formatPlatform(wanted)}]`;
  if (lacking.length === 1) throw new TsdError('not-found', `image ${lacking[0]} was loaded, but doesn't provide the requested platform (${platforms})`);
  if (lacking.length > 1) throw new TsdError('not-found', `images [${lacking.join(', ')}] were loaded, but don't provide the requested platform (${platforms})`);
  return kept;
}

function need(archive: ExtractedArchive, path: string, what: string): string {
  const file = archive.resolve(path);
  if (!file) throw new TsdError('invalid-argument', `invalid image archive: ${what} ${path} named in manifest.json is missing`);
  return file;
}

async function readManifestJson(archive: ExtractedArchive): Promise<ManifestEntry[]> {
  const path = archive.resolve('manifest.json');
  if (!path) {
    if (archive.resolve('index.json')) return await entriesFromOciIndex(archive);
    throw new TsdError('invalid-argument', 'invalid image archive: neither manifest.json nor index.json is present (not a docker save or OCI layout archive)');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new TsdError('invalid-argument', `invalid image archive: manifest.json: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.some((e) => typeof e?.Config !== 'string' || !Array.isArray(e?.Layers))) {
    throw new TsdError('invalid-argument', 'invalid image archive: manifest.json must be a list of {Config, RepoTags, Layers}');
  }
  return parsed as ManifestEntry[];
}

/**
 * An OCI image layout without manifest.json (buildx `type=oci`, skopeo): one entry per manifest in
 * index.json (nested indexes followed one level), named by `io.containerd.image.name`, or by
 * `org.opencontainers.image.ref.name` when that is a full reference rather than a bare tag.
 */
async function entriesFromOciIndex(archive: ExtractedArchive): Promise<ManifestEntry[]> {
  const read = async <T>(digest: string): Promise<T | undefined> => {
    const path = archive.resolve(`blobs/${digest.replace(':', '/')}`);
    return path ? (JSON.parse(await readFile(path, 'utf8')) as T) : undefined;
  };
  const top = JSON.parse(await readFile(archive.resolve('index.json')!, 'utf8')) as ImageIndex;
  const entries: ManifestEntry[] = [];
  for (const entry of top.manifests ?? []) {
    const annotations = entry.annotations ?? {};
    const refName = annotations['org.opencontainers.image.ref.name'];
    const name = annotations['io.containerd.image.name'] ?? (refName && /[/:]/.test(refName) ? refName : undefined);
    const manifests = isIndexMediaType(entry.mediaType)
      ? ((await read<ImageIndex>(entry.digest))?.manifests ?? [])
      : [entry];
    for (const descriptor of manifests) {
      const manifest = await read<ImageManifest>(descriptor.digest);
      if (!manifest?.config) continue; // a platform not included in the archive
      entries.push({
        Config: `blobs/${manifest.config.digest.replace(':', '/')}`,
        RepoTags: name ? [name] : [],
        Layers: manifest.layers.map((layer) => `blobs/${layer.digest.replace(':', '/')}`),
      });
    }
  }
  if (entries.length === 0) throw new TsdError('invalid-argument', 'invalid image archive: index.json lists no image whose manifest is in the archive');
  return entries;
}

interface Target {
  descriptor: Descriptor;
  /** Manifest JSON bytes (and the index above it, when the original root was an index). */
  manifest: { descriptor: Descriptor; bytes: Buffer };
  index?: { bytes: Buffer };
}

/** Original manifests in index.json (one level of nested index followed), by config digest. */
async function originalManifests(archive: ExtractedArchive): Promise<Map<string, Target>> {
  const found = new Map<string, Target>();
  const indexPath = archive.resolve('index.json');
  if (!indexPath) return found;
  const blob = async (digest: string): Promise<Buffer | undefined> => {
    const path = archive.resolve(`blobs/${digest.replace(':', '/')}`);
    return path ? await readFile(path) : undefined;
  };
  const top = JSON.parse(await readFile(indexPath, 'utf8')) as ImageIndex;
  for (const entry of top.manifests ?? []) {
    const bytes = await blob(entry.digest);
    if (!bytes || sha256(bytes) !== entry.digest) continue;
    const descriptor = { mediaType: entry.mediaType, digest: entry.digest, size: bytes.length };
    if (isIndexMediaType(entry.mediaType)) {
      const index = JSON.parse(bytes.toString('utf8')) as ImageIndex;
      for (const child of index.manifests) {
        const childBytes = await blob(child.digest);
        if (!childBytes || sha256(childBytes) !== child.digest) continue;
        const manifest = JSON.parse(childBytes.toString('utf8')) as ImageManifest;
        found.set(manifest.config.digest, { descriptor, manifest: { descriptor: { mediaType: child.mediaType, digest: child.digest, size: childBytes.length }, bytes: childBytes }, index: { bytes } });
      }
    } else {
      const manifest = JSON.parse(bytes.toString('utf8')) as ImageManifest;
      found.set(manifest.config.digest, { descriptor, manifest: { descriptor, bytes } });
    }
  }
  return found;
}

function schema2Manifest(config: Descriptor, layers: Descriptor[]): Target {
  const manifest = { schemaVersion: 2, mediaType: MediaType.dockerManifest, config, layers };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const descriptor = { mediaType: MediaType.dockerManifest, digest: sha256(bytes), size: bytes.length };
  return { descriptor, manifest: { descriptor, bytes } };
}

/** Stores manifest (and index) with the gc.ref labels that keep config and layers alive. */
async function storeTarget(store: ContentStore, _archive: ExtractedArchive, target: Target, layers: Descriptor[], configDigest: string): Promise<void> {
  const manifest = JSON.parse(target.manifest.bytes.toString('utf8')) as ImageManifest;
  const stored = new Set(layers.map((l) => l.digest));
  for (const layer of manifest.layers) {
    if (!stored.has(layer.digest)) throw new TsdError('invalid-argument', `invalid image archive: manifest ${target.manifest.descriptor.digest} names layer ${layer.digest}, which the archive does not hold`);
  }
  const labels: Record<string, string> = { 'containerd.io/gc.ref.content.config': configDigest };
  manifest.layers.forEach((layer, i) => (labels[`containerd.io/gc.ref.content.l.${i}`] = layer.digest));
  await storeBytes(store, target.manifest.descriptor, target.manifest.bytes, labels);
  if (target.index) {
    // Every child is referenced (as containerd labels an index), not only this entry's: the index
    // is stored once per entry of the archive, and each platform loaded must stay alive.
    const children = (JSON.parse(target.index.bytes.toString('utf8')) as ImageIndex).manifests ?? [];
    const indexLabels: Record<string, string> = {};
    children.forEach((child, i) => (indexLabels[`containerd.io/gc.ref.content.m.${i}`] = child.digest));
    await storeBytes(store, target.descriptor, target.index.bytes, indexLabels);
  }
}

/** Streams a layer file into the store; media type from its first bytes (gzip, zstd or plain tar). */
async function storeFile(store: ContentStore, path: string): Promise<Descriptor> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const digest = `sha256:${hash.digest('hex')}`;
  const head = Buffer.alloc(4);
  const handle = await open(path);
  await handle.read(head, 0, 4, 0).finally(() => handle.close());
  const mediaType = head[0] === 0x1f && head[1] === 0x8b
    ? MediaType.dockerLayerGzip
    : head.readUInt32LE(0) === 0xfd2fb528 ? MediaType.ociLayerZstd : 'application/vnd.docker.image.rootfs.diff.tar';
  const descriptor = { mediaType, digest, size };
  if (await store.has(digest)) return descriptor;
  const writer = await store.writer(`load-${digest}`, { total: size, expected: digest });
  try {
    if (writer.offset() > 0) await writer.truncate(0);
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) await writer.write(chunk as Buffer);
    await writer.commit(size, digest, {});
  } catch (error) {
    if ((error as TsdError).code !== 'already-exists') throw error;
  } finally {
    await writer.close();
  }
  return descriptor;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
