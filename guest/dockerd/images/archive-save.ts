/**
 * `docker save` output: the format Docker 25+ writes, which both older and newer `docker load`
 * read — an OCI image layout (oci-layout, index.json, blobs/sha256/…) plus Docker's
 * manifest.json ([{Config, RepoTags, Layers}] with paths into blobs/) and `repositories`.
 * Blobs are written as they are stored (layers stay compressed); each blob once.
 */
import { familiarReference, formatReference, MediaType, type Descriptor } from '../../api/oci-image-spec.js';
import type { PlatformSpec } from '../../containerd/registry/types.js';
import type { EngineContext } from '../engine-context.js';
import { isIndex, repoTags, safeParse, type LoadedImage } from './image-record.js';
import { imageForPlatform } from './platform-select.js';
import { TarWriter } from './tar-writer.js';

const blobPath = (digest: string): string => `blobs/${digest.replace(':', '/')}`;

/** With `platform` (API 1.48) only that platform's manifest is saved, as the archive's root. */
export async function saveImages(ctx: EngineContext, names: string[], tar: TarWriter, platform?: PlatformSpec): Promise<void> {
  const images: Array<{ image: LoadedImage; tags: string[]; root: Descriptor }> = [];
  for (const name of names) {
    const resolved = await ctx.images.resolve(name);
    const image = platform ? await imageForPlatform(ctx, resolved, platform) : resolved;
    const ref = safeParse(name);
    // Saving by name saves that name; by ID, every tag of the image.
    const named = ref && image.records.some((r) => r.name === formatReference(ref));
    const tags = named ? [familiarReference(ref!)] : repoTags(image);
    const root = platform || (isIndex(image.target) && !(await allPresent(ctx, image.target))) ? image.manifestDescriptor : image.target;
    images.push({ image, tags, root });
  }
  await tar.directory('blobs');
  await tar.directory('blobs/sha256');
  const written = new Set<string>();
  const writeBlob = async (descriptor: Descriptor): Promise<void> => {
    if (written.has(descriptor.digest)) return;
    written.add(descriptor.digest);
    await tar.fileFrom(blobPath(descriptor.digest), descriptor.size, await ctx.containerd.content.read(descriptor.digest));
  };
  for (const { image, root } of images) {
    for (const layer of image.manifest.layers) await writeBlob(layer);
    await writeBlob(image.configDescriptor);
    await writeBlob(image.manifestDescriptor);
    if (root.digest !== image.manifestDescriptor.digest) await writeBlob(root);
  }
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: images.flatMap(({ root, tags }) => {
      const base = { mediaType: root.mediaType, digest: root.digest, size: root.size };
      if (tags.length === 0) return [base];
      return tags.map((tag) => {
        const ref = safeParse(tag)!;
        return { ...base, annotations: { 'io.containerd.image.name': formatReference(ref), 'org.opencontainers.image.ref.name': ref.tag ?? '' } };
      });
    }),
  };
  const manifest = images.map(({ image, tags }) => ({
    Config: blobPath(image.configDescriptor.digest),
    RepoTags: tags,
    Layers: image.manifest.layers.map((layer) => blobPath(layer.digest)),
  }));
  const repositories: Record<string, Record<string, string>> = {};
  for (const { image, tags } of images) {
    for (const tag of tags) {
      const ref = safeParse(tag)!;
      const repo = familiarReference({ ...ref, tag: undefined, digest: undefined });
      (repositories[repo] ??= {})[ref.tag ?? 'latest'] = (image.chainIds.at(-1) ?? image.id).replace(/^sha256:/, '');
    }
  }
  await tar.file('index.json', Buffer.from(JSON.stringify(index)));
  await tar.file('manifest.json', Buffer.from(JSON.stringify(manifest)));
  await tar.file('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  if (Object.keys(repositories).length > 0) await tar.file('repositories', Buffer.from(JSON.stringify(repositories)));
  await tar.finish();
  for (const { image } of images) {
    ctx.events.publish({ type: 'image', action: 'save', actor: image.id, attributes: { name: repoTags(image)[0] ?? image.id } });
  }
}

async function allPresent(ctx: EngineContext, index: Descriptor): Promise<boolean> {
  const parsed = await ctx.images.readJson<{ manifests: Descriptor[] }>(index.digest);
  for (const child of parsed.manifests) if (!(await ctx.containerd.content.has(child.digest))) return false;
  return true;
}
