/**
 * The engine's images, kept in containerd (namespace moby) the way Docker's containerd image store
 * keeps them: one containerd image per name, pointing at a manifest or index in the content store;
 * layers unpacked into overlayfs snapshots named by chain ID. This module answers "which image is
 * this name or ID?" and "what is in it?"; pull, push, remove, save and load build on it.
 */
import { TsdError } from '../../api/errors.js';
import {
  formatReference,
  isIndexMediaType,
  parseReference,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from '../../api/oci-image-spec.js';
import { hostPlatform, platformRank } from '../../containerd/registry/platforms.js';
import type { PlatformSpec } from '../../containerd/registry/types.js';
import type { ContainerdClient } from '../containerd/containerd-client.js';
import type { ImageRecord } from '../containerd/images.js';
import { chainIds } from './chain-id.js';
import { isDangling, repoDigests, safeParse, type LoadedImage } from './image-record.js';
import { labelTopLayer, unpackImage } from './unpack.js';

/** What a container needs from its image (H4's create uses this). */
export interface ImageForContainer {
  /** `sha256:…` image ID (config digest). */
  id: string;
  /** The name the user gave, normalised (`docker.io/library/busybox:latest`), or the ID. */
  reference: string;
  config: ImageConfig;
  /** The top layer's chain ID: the snapshot to Prepare a container's rootfs on ('' for no layers). */
  chainId: string;
  snapshotter: string;
}

export class ImageService {
  /** Parsed manifests and configs by digest: content is immutable, so this never goes stale. */
  readonly #json = new Map<string, unknown>();

  constructor(private readonly containerd: ContainerdClient, readonly platform: PlatformSpec = hostPlatform()) {}

  /** Every image (names grouped by image ID), dangling ones included. */
  async list(): Promise<LoadedImage[]> {
    const byId = new Map<string, LoadedImage>();
    for (const record of await this.containerd.images.list()) {
      const loaded = await this.load(record).catch(() => undefined); // content gone: not an image we can show
      if (!loaded) continue;
      const existing = byId.get(loaded.id);
      if (existing) existing.records.push(record);
      else byId.set(loaded.id, loaded);
    }
    return [...byId.values()];
  }

  /**
   * Finds an image by name (`busybox`, `host:5000/a:b`), digest reference (`busybox@sha256:…`),
   * full ID (`sha256:…`) or unique ID prefix, like Docker. Missing: not-found "No such image: X".
   */
  async resolve(nameOrId: string, options: { allNames?: boolean } = {}): Promise<LoadedImage> {
    const notFound = (): TsdError => new TsdError('not-found', `No such image: ${nameOrId}`);
    const idPrefix = /^(?:sha256:)?([a-f0-9]{1,64})$/.exec(nameOrId)?.[1];
    const ref = safeParse(nameOrId);
    if (ref && !(idPrefix && idPrefix.length === 64)) {
      if (ref.digest === undefined) {
        const record = await this.containerd.images.get(formatReference(ref)).catch((error: unknown) => {
          if ((error as TsdError).code === 'not-found') return undefined;
          throw error;
        });
        // Every name of the image costs a listing; container create only needs this one.
        if (record) return options.allNames === false ? await this.load(record) : await this.#withAllNames(await this.load(record));
      } else {
        const all = await this.list();
        const found = all.find((image) =>
          image.records.some((r) => r.target.digest === ref.digest && !isDangling(r) && safeParse(r.name)?.path === ref.path && safeParse(r.name)?.domain === ref.domain),
        );
        if (found) return found;
      }
    }
    if (idPrefix && (nameOrId.startsWith('sha256:') || !ref || idPrefix.length >= 12 || !(await this.#hasName(nameOrId)))) {
      const matches = (await this.list()).filter((image) => image.id.slice('sha256:'.length).startsWith(idPrefix));
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) throw new TsdError('invalid-argument', `ambiguous image ID ${nameOrId}: matches ${matches.length} images`);
    }
    if (!ref && !idPrefix) parseReference(nameOrId); // throws Docker's "invalid reference format"
    throw notFound();
  }

  async #hasName(name: string): Promise<boolean> {
    const ref = safeParse(name);
    if (!ref) return false;
    return await this.containerd.images.get(formatReference(ref)).then(() => true, () => false);
  }

  async #withAllNames(image: LoadedImage): Promise<LoadedImage> {
    const all = await this.list();
    return all.find((candidate) => candidate.id === image.id) ?? image;
  }

  /** Reads one record's manifest and config (choosing the engine's platform in an index). */
  async load(record: ImageRecord): Promise<LoadedImage> {
    const target: Descriptor = { mediaType: record.target.mediaType, digest: record.target.digest, size: Number(record.target.size) };
    const manifestDescriptor = isIndexMediaType(target.mediaType) ? await this.#pickManifest(target) : target;
    const manifest = await this.readJson<ImageManifest>(manifestDescriptor.digest);
    const config = await this.readJson<ImageConfig>(manifest.config.digest);
    return {
      id: manifest.config.digest,
      records: [record],
      target,
      manifestDescriptor,
      manifest,
      configDescriptor: manifest.config,
      config,
      chainIds: chainIds(config.rootfs?.diff_ids ?? []),
    };
  }

  /**
   * The manifest to show for an index: the best match for the engine's platform among those
   * present in the content store, else the first present one (an image pulled with --platform
   * for another architecture), as Docker's containerd store does.
   */
  async #pickManifest(index: Descriptor): Promise<Descriptor> {
    const parsed = await this.readJson<ImageIndex>(index.digest);
    let best: { descriptor: Descriptor; rank: number } | undefined;
    let anyPresent: Descriptor | undefined;
    for (const entry of parsed.manifests) {
      if (!(await this.containerd.content.has(entry.digest))) continue;
      anyPresent ??= entry;
      const rank = entry.platform ? platformRank(this.platform, entry.platform) : undefined;
      if (rank === undefined || (best && best.rank <= rank)) continue;
      best = { descriptor: entry, rank };
    }
    const chosen = best?.descriptor ?? anyPresent;
    if (!chosen) throw new TsdError('not-found', `index ${index.digest} has none of its manifests in the content store`);
    return chosen;
  }

  async readJson<T>(digest: string): Promise<T> {
    const cached = this.#json.get(digest);
    if (cached !== undefined) return cached as T;
    const parsed = JSON.parse((await this.containerd.content.readAll(digest)).toString('utf8')) as T;
    this.#json.set(digest, parsed);
    return parsed;
  }

  /** Unpacks the image's layers if needed and returns what a container is created from. */
  async forContainer(nameOrId: string): Promise<ImageForContainer> {
    const { unpack, label: _label, ...image } = await this.forContainerDeferred(nameOrId);
    await unpack();
    return image;
  }

  /**
   * forContainer with the unpack left to the caller: `unpack()` as forContainer does it, or, for a
   * create whose Prepare on the top layer shows the layers are there, `label()` alone (the config's
   * GC reference to them), each one round trip or more saved.
   */
  async forContainerDeferred(nameOrId: string): Promise<ImageForContainer & { unpack(): Promise<void>; label(): Promise<void> }> {
    const image = await this.resolve(nameOrId, { allNames: false });
    const ref = safeParse(nameOrId);
    return {
      id: image.id,
      reference: ref && !/^(sha256:)?[a-f0-9]{12,64}$/.test(nameOrId) ? formatReference(ref) : image.id,
      config: image.config,
      chainId: image.chainIds.at(-1) ?? '',
      snapshotter: this.containerd.snapshots.snapshotter,
      unpack: () => unpackImage(this.containerd, image),
      label: () => labelTopLayer(this.containerd, image),
    };
  }

  /** RepoDigests of an image (exported for inspect and list). */
  repoDigests(image: LoadedImage): string[] {
    return repoDigests(image);
  }
}
