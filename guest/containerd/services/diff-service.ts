/**
 * containerd.services.diff.v1.Diff: Apply unpacks a layer from the content store into the
 * snapshot the mounts describe, with the layer applier of guest/containerd/diff:
 *  - an overlay mount: into its upperdir, whiteouts as overlay whiteouts (nothing is mounted);
 *  - a read-write bind mount (native snapshots, or a first overlay layer): into its source,
 *    whiteouts deleting from the copy.
 * The applied descriptor is the uncompressed tar's digest (the image config's diff ID).
 */
import { TsdError } from '../../api/errors.js';
import { applyLayer, type ApplyMode } from '../diff/apply-layer.js';
import { isLayerMediaType } from '../diff/apply-from-store.js';
import type { NamespacedContent } from '../metadata/namespaced-content.js';
import type { Mount } from '../snapshots/snapshotter.js';
import { unary, type ServiceHandlers } from '../server/handlers.js';
import { afterBurst } from '../../lib/memory-reducer.js';

const UNCOMPRESSED_LAYER = 'application/vnd.oci.image.layer.v1.tar';


interface DescriptorMessage {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, string>;
}

export function diffService(content: NamespacedContent): ServiceHandlers {
  return {
    Apply: unary<{ diff: DescriptorMessage | null; mounts: Mount[] }, { applied: DescriptorMessage }>(async (request, context) => {
      const ns = context.requireNamespace();
      const diff = request.diff;
      if (!diff) throw new TsdError('invalid-argument', 'apply needs a diff descriptor');
      if (!isLayerMediaType(diff.mediaType)) throw new TsdError('unsupported', `unsupported diff media type: ${diff.mediaType}`);
      const { dir, mode } = applyTarget(request.mounts);
      const info = content.info(ns, diff.digest);
      if (diff.size > 0 && info.size !== diff.size) {
        throw new TsdError('invalid-argument', `diff ${diff.digest}: descriptor says ${diff.size} bytes, content has ${info.size}`);
      }
      const result = await applyLayer(await content.read(ns, diff.digest, {}), dir, { mode }).finally(afterBurst);
      return { applied: { mediaType: UNCOMPRESSED_LAYER, digest: result.diffId, size: result.size, annotations: {} } };
    }),
    Diff: unary<unknown, never>(async () => {
      throw new TsdError('unsupported', 'creating diffs (Diff.Diff) is not implemented yet');
    }),
  };
}

function applyTarget(mounts: Mount[]): { dir: string; mode: ApplyMode } {
  if (mounts.length !== 1) throw new TsdError('invalid-argument', `apply needs exactly one mount, got ${mounts.length}`);
  const [mount] = mounts as [Mount];
  if (mount.type === 'overlay') {
    const upper = mount.options.find((o) => o.startsWith('upperdir='));
    if (!upper) throw new TsdError('invalid-argument', 'apply onto an overlay mount needs an upperdir (a writable snapshot)');
    return { dir: upper.slice('upperdir='.length), mode: 'overlay' };
  }
  if (mount.type === 'bind' || mount.type === 'rbind') {
    if (mount.options.includes('ro')) throw new TsdError('invalid-argument', `apply onto a read-only mount of ${mount.source}`);
    return { dir: mount.source, mode: 'native' };
  }
  throw new TsdError('unsupported', `apply onto a mount of type "${mount.type}" is not supported`);
}
