/**
 * Applies a layer blob from the content store and checks what was applied: the media type must be
 * a layer tar (plain, gzip or zstd; Docker's or OCI's), and the uncompressed digest must equal the
 * image config's diff_id. A mismatch is 'invalid-argument'; the caller discards the directory.
 */
import { TsdError } from '../../api/errors.js';
import { MediaType, type Descriptor } from '../../api/oci-image-spec.js';
import type { ContentStore } from '../content/content-store.js';
import { applyLayer, type ApplyOptions, type ApplyResult } from './apply-layer.js';

const LAYER_MEDIA_TYPES: readonly string[] = [
  MediaType.ociLayer,
  MediaType.ociLayerGzip,
  MediaType.ociLayerZstd,
  MediaType.ociLayerNondistributableGzip,
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  MediaType.dockerLayerGzip,
  MediaType.dockerForeignLayerGzip,
  'application/vnd.docker.image.rootfs.diff.tar',
];

export function isLayerMediaType(mediaType: string): boolean {
  return LAYER_MEDIA_TYPES.includes(mediaType);
}

export async function applyLayerFromStore(
  store: ContentStore, layer: Descriptor, diffId: string | undefined, target: string, options: ApplyOptions,
): Promise<ApplyResult> {
  if (!isLayerMediaType(layer.mediaType)) {
    throw new TsdError('unsupported', `layer ${layer.digest} has media type ${layer.mediaType}, which is not a layer tar tsd can apply`);
  }
  const result = await applyLayer(await store.read(layer.digest), target, options);
  if (diffId !== undefined && result.diffId !== diffId) {
    throw new TsdError(
      'invalid-argument',
      `layer ${layer.digest}: uncompressed content has digest ${result.diffId}, but the image config's diff_id is ${diffId}`,
    );
  }
  return result;
}
