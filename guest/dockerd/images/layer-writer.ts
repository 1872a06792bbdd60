/**
 * A new layer into containerd's content store, the way containerd's differ writes one for
 * `docker commit`: the uncompressed tar is gzip-compressed on the way in, the blob's digest is
 * that of the compressed bytes, the layer's diff ID that of the tar, and the blob carries the
 * `containerd.io/uncompressed` label (what unpackers and pushers read).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createGzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { MediaType, type Descriptor } from '../../api/oci-image-spec.js';
import type { ContentStore } from '../../containerd/content/content-store.js';

/** A tar holding nothing: just its two zero end blocks. */
const EMPTY_TAR_SIZE = 1024;

export interface WrittenLayer {
  /** The compressed blob (Docker's gzip layer media type). */
  descriptor: Descriptor;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** The tar had no entries (a commit without changes adds no layer, as in Docker). */
  empty: boolean;
}

export async function writeGzipLayer(store: ContentStore, tar: AsyncIterable<Buffer>): Promise<WrittenLayer> {
  const uncompressed = createHash('sha256');
  let tarSize = 0;
  const counted = (async function* () {
    for await (const chunk of tar) {
      uncompressed.update(chunk);
      tarSize += chunk.length;
      yield chunk;
    }
  })();
  const gzip = Readable.from(counted).pipe(createGzip());
  const writer = await store.writer(`commit-layer-${Date.now()}-${randomBytes(6).toString('hex')}`);
  const compressed = createHash('sha256');
  let size = 0;
  let committed = false;
  try {
    for await (const chunk of gzip as AsyncIterable<Buffer>) {
      compressed.update(chunk);
      size += chunk.length;
      await writer.write(chunk);
    }
    const diffId = `sha256:${uncompressed.digest('hex')}`;
    const digest = `sha256:${compressed.digest('hex')}`;
    const labels = { 'containerd.io/uncompressed': diffId };
    try {
      await writer.commit(size, digest, { labels });
    } catch (error) {
      if ((error as { code?: string }).code !== 'already-exists') throw error;
      // The same bytes were committed before (by an import, say): make sure they carry the label.
      await store.update(digest, labels, ['labels.containerd.io/uncompressed']);
    }
    committed = true;
    return { descriptor: { mediaType: MediaType.dockerLayerGzip, digest, size }, diffId, empty: tarSize <= EMPTY_TAR_SIZE };
  } finally {
    gzip.destroy();
    await writer.close();
    if (!committed) await store.abort(writer.ref).catch(() => undefined);
  }
}
