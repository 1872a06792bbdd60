/**
 * POST /images/create?fromSrc=- (docker import): the request body is a root filesystem tarball
 * (plain, gzip or zstd). It becomes one uncompressed layer; the config says linux, the engine's
 * architecture, and "Imported from -"; the image is named `repo:tag` when given. Importing from a
 * URL is refused (the engine fetches nothing but registries), as are Dockerfile `changes`.
 */
import os from 'node:os';
import type { Readable } from 'node:stream';
import { TsdError } from '../../api/errors.js';
import { familiarReference, parseReference, type ImageConfig } from '../../api/oci-image-spec.js';
import { decompress } from '../../containerd/diff/compression.js';
import type { EngineContext } from '../engine-context.js';
import { writeBlob, writeImage } from './image-writer.js';

const GO_ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64' };

export async function importImage(
  ctx: EngineContext, body: Readable, options: { repo?: string; tag?: string; message?: string; changes: string[] },
): Promise<string> {
  if (options.changes.length > 0) throw new TsdError('unsupported', 'docker import --change is not supported by this engine');
  const name = options.repo ? familiarReference(parseReference(options.tag ? `${options.repo}:${options.tag}` : options.repo)) : undefined;
  return await ctx.containerd.leases.with('import', async (lease) => {
    const { stream } = await decompress(body);
    const layer = await writeBlob(ctx.containerd.content.withLease(lease), stream, 'application/vnd.docker.image.rootfs.diff.tar');
    const created = new Date().toISOString();
    const config: ImageConfig = {
      created,
      architecture: GO_ARCH[os.machine()] ?? os.machine(),
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
      history: [{ created, created_by: 'Imported from -', ...(options.message ? { comment: options.message } : {}) }],
    };
    const { id } = await writeImage(ctx, { config, layers: [layer], names: name ? [name] : [] }, lease);
    ctx.events.publish({ type: 'image', action: 'import', actor: id, attributes: { name: name ?? id } });
    return id;
  });
}
