/**
 * Unpacking an image into snapshots the way containerd's unpacker does: for each layer, if the
 * snapshot named by its chain ID does not exist, Prepare an active snapshot on the parent chain,
 * Diff.Apply the layer onto its mounts, check the applied digest is the config's diff ID, and
 * Commit it under the chain ID. Everything happens under a lease; afterwards the config blob is
 * labelled `containerd.io/gc.ref.snapshot.<snapshotter>=<top chain ID>` so that the image holds
 * its snapshots against garbage collection.
 */
import { randomBytes } from 'node:crypto';
import { TsdError } from '../../api/errors.js';
import type { ContainerdClient } from '../containerd/containerd-client.js';
import type { LoadedImage } from './image-record.js';

export interface UnpackProgress {
  (event: { kind: 'extracting' | 'extracted' | 'exists'; layer: string }): void;
}

/** Serialises unpacks of the same chain within this engine (two pulls of one image at once). */
const inFlight = new Map<string, Promise<void>>();

export async function unpackImage(containerd: ContainerdClient, image: LoadedImage, onProgress?: UnpackProgress): Promise<void> {
  const top = image.chainIds.at(-1);
  if (top === undefined) return;
  // Both questions at once (each is a round trip; a container create asks them every time): is the
  // top layer unpacked, and does the config hold it against GC. The answer to the second is only
  // used when the first is yes; an unpack asks it again at its end.
  const [unpacked, configInfo] = await Promise.all([
    containerd.snapshots.find(top),
    containerd.content.info(image.configDescriptor.digest).catch((error: unknown) => error as Error),
  ]);
  if (unpacked) {
    if (configInfo instanceof Error) throw configInfo;
    await labelConfig(containerd, image, top, configInfo.labels);
    return;
  }
  let running = inFlight.get(top);
  if (!running) {
    running = containerd.leases.with('unpack', (lease) => unpackLayers(containerd, image, lease, onProgress)).finally(() => inFlight.delete(top));
    inFlight.set(top, running);
  }
  await running;
}

async function unpackLayers(containerd: ContainerdClient, image: LoadedImage, lease: string, onProgress?: UnpackProgress): Promise<void> {
  const { snapshots } = containerd;
  const layers = image.manifest.layers;
  const diffIds = image.config.rootfs.diff_ids;
  let parent = '';
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    const chainId = image.chainIds[i]!;
    if (await snapshots.find(chainId)) {
      // Another image's layer: hold it while this unpack runs (that image may be deleted meanwhile).
      await containerd.leases.addResource(lease, { id: chainId, type: `snapshots/${snapshots.snapshotter}` });
      onProgress?.({ kind: 'exists', layer: layer.digest });
      parent = chainId;
      continue;
    }
    onProgress?.({ kind: 'extracting', layer: layer.digest });
    const key = `extract-${Date.now()}-${randomBytes(4).toString('hex')} ${chainId}`;
    const mounts = await snapshots.prepare(key, parent, {}, { lease });
    try {
      const applied = await containerd.diff.apply({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }, mounts, { lease });
      if (applied.digest !== diffIds[i]) {
        throw new TsdError('invalid-argument', `layer ${layer.digest} unpacks to ${applied.digest}, but the image config says diff ID ${diffIds[i]}`);
      }
      await containerd.content.update(layer.digest, { 'containerd.io/uncompressed': applied.digest }, ['labels.containerd.io/uncompressed']).catch(() => undefined);
      await snapshots.commit(chainId, key, {}, { lease });
    } catch (error) {
      await snapshots.remove(key).catch(() => undefined);
      // Another unpacker (another engine on the same containerd) committed it first: use theirs.
      if ((error as TsdError).code !== 'already-exists') throw error;
    }
    onProgress?.({ kind: 'extracted', layer: layer.digest });
    parent = chainId;
  }
  await labelConfig(containerd, image, parent);
}

/**
 * The GC reference an unpack leaves, alone: the config labelled with the top layer's snapshot
 * unless it has that label (a container create checks this beside its Prepare, which itself
 * tells whether the layers are unpacked).
 */
export async function labelTopLayer(containerd: ContainerdClient, image: LoadedImage): Promise<void> {
  const top = image.chainIds.at(-1);
  if (top !== undefined) await labelConfig(containerd, image, top);
}

async function labelConfig(containerd: ContainerdClient, image: LoadedImage, top: string, labels?: Record<string, string>): Promise<void> {
  const label = `containerd.io/gc.ref.snapshot.${containerd.snapshots.snapshotter}`;
  labels ??= (await containerd.content.info(image.configDescriptor.digest)).labels;
  if (labels[label] === top) return;
  await containerd.content.update(image.configDescriptor.digest, { [label]: top }, [`labels.${label}`]);
}
