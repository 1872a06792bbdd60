/**
 * What one image is, read from containerd: its records (names), target, the platform manifest
 * and config, and derived facts (ID, chain IDs). Docker's vocabulary: the image ID is the config
 * digest; RepoTags are the tagged names; RepoDigests are `repository@<target digest>`.
 */
import {
  familiarReference,
  isIndexMediaType,
  parseReference,
  repositoryName,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from '../../api/oci-image-spec.js';
import type { ImageRecord } from '../containerd/images.js';

/** Name prefix of images kept only because their last tag moved or was removed (Docker's). */
export const DANGLING_PREFIX = 'moby-dangling@';

export interface LoadedImage {
  /** `sha256:<config digest hex>` */
  id: string;
  records: ImageRecord[];
  /** The target of the first record (manifest or index). */
  target: Descriptor;
  manifestDescriptor: Descriptor;
  manifest: ImageManifest;
  configDescriptor: Descriptor;
  config: ImageConfig;
  chainIds: string[];
}

export function isDangling(record: ImageRecord): boolean {
  return record.name.startsWith(DANGLING_PREFIX);
}

/** `busybox:latest`-style tags of the image's names. */
export function repoTags(image: LoadedImage): string[] {
  const tags = new Set<string>();
  for (const record of image.records) {
    if (isDangling(record)) continue;
    const ref = safeParse(record.name);
    if (ref?.tag !== undefined && ref.digest === undefined) tags.add(familiarReference(ref));
  }
  return [...tags].sort();
}

/** `busybox@sha256:…` for each repository the image is known under. */
export function repoDigests(image: LoadedImage): string[] {
  const digests = new Set<string>();
  for (const record of image.records) {
    if (isDangling(record)) continue;
    const ref = safeParse(record.name);
    if (!ref) continue;
    digests.add(familiarReference({ domain: ref.domain, path: ref.path, digest: record.target.digest }));
  }
  return [...digests].sort();
}

/** Full repository names (`docker.io/library/busybox`) the image is known under. */
export function repositories(image: LoadedImage): string[] {
  return [...new Set(image.records.filter((r) => !isDangling(r)).map((r) => safeParse(r.name)).filter((r) => r !== undefined).map((r) => repositoryName(r!)))];
}

export function safeParse(name: string): ReturnType<typeof parseReference> | undefined {
  try {
    return parseReference(name);
  } catch {
    return undefined;
  }
}

export function isIndex(descriptor: Descriptor): boolean {
  return isIndexMediaType(descriptor.mediaType);
}

export type { ImageIndex };
