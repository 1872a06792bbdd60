/**
 * The image side of `docker commit`, as Docker's containerd image store does it: under one lease,
 * the container's changes (an uncompressed tar) become a gzip layer in containerd's content store
 * (none when the tar is empty: the history entry is then `empty_layer`), the config is the parent
 * image's with the new runtime config, rootfs and history entry (created_by = the container's Cmd,
 * author, comment), a schema2 manifest is stored and named, and the new layer is unpacked onto
 * the parent's snapshots so that the image runs at once.
 */
import { TsdError } from '../../api/errors.js';
import { formatReference, parseReference, type Descriptor, type ImageConfig, type ImageRuntimeConfig } from '../../api/oci-image-spec.js';
import { hostPlatform } from '../../containerd/registry/platforms.js';
import type { EngineContext } from '../engine-context.js';
import { imageRuntimeConfig, type CommitConfig } from './commit-changes.js';
import type { LoadedImage } from './image-record.js';
import { writeImage } from './image-writer.js';
import { writeGzipLayer } from './layer-writer.js';
import { unpackImage } from './unpack.js';

export interface CommitImageRequest {
  /** The container's image; undefined for a container without one (FROM scratch). */
  parent: LoadedImage | undefined;
  /** The container's changes as an uncompressed tar (whiteouts as `.wh.` entries). */
  changes: AsyncIterable<Buffer>;
  /** The new image's runtime config (request config with `--change` applied, merged). */
  config: CommitConfig;
  /** The container's own Cmd: the history entry's created_by. */
  containerCmd: readonly string[] | null | undefined;
  author: string;
  comment: string;
  /** `repo:tag` names; none leaves the image dangling. */
  names: string[];
}

/** Go's time.Time JSON form with nanoseconds (what Docker writes in configs). */
function created(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

export async function commitImage(ctx: EngineContext, request: CommitImageRequest): Promise<{ id: string; manifest: Descriptor }> {
  const written = await ctx.containerd.leases.with('commit', async (lease) => {
    const layer = await writeGzipLayer(ctx.containerd.content.withLease(lease), request.changes);
    const base = request.parent?.config;
    const platform = hostPlatform();
    const author = request.author || base?.author || '';
    const time = created();
    const diffIds = [...(base?.rootfs.diff_ids ?? []), ...(layer.empty ? [] : [layer.diffId])];
    const config: ImageConfig = {
      architecture: base?.architecture || platform.architecture,
      os: base?.os || platform.os,
      created: time,
      ...(author ? { author } : {}),
      config: imageRuntimeConfig(request.config) as ImageRuntimeConfig,
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: [
        ...(base?.history ?? []),
        {
          created: time,
          created_by: (request.containerCmd ?? []).join(' '),
          ...(author ? { author } : {}),
          ...(request.comment ? { comment: request.comment } : {}),
          ...(layer.empty ? { empty_layer: true } : {}),
        },
      ],
    };
    const layers = [...(request.parent?.manifest.layers ?? []), ...(layer.empty ? [] : [layer.descriptor])];
    return await writeImage(ctx, { config, layers, names: request.names }, lease);
  });
  // The new top layer onto the parent's snapshots (the parent's are there: the container runs on them).
  await unpackImage(ctx.containerd, await ctx.images.resolve(written.id));
  return written;
}

/**
 * The commit's `repo` and `tag` query parameters as one name (dockerd's RepoTagReference): no repo
 * is no name; a digest is refused; the tag defaults to the repo's own, else `latest`.
 */
export function commitReference(repo: string, tag: string): string | undefined {
  if (!repo) return undefined;
  const ref = parseReference(repo);
  if (ref.digest !== undefined) throw new TsdError('invalid-argument', 'cannot import digest reference');
  if (tag && !/^[\w][\w.-]{0,127}$/.test(tag)) throw new TsdError('invalid-argument', `invalid tag format`);
  return formatReference({ domain: ref.domain, path: ref.path, tag: tag || ref.tag || 'latest' });
}
