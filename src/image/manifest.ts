/**
 * The image manifest: what went into an image (components, versions, sha256s). The same
 * document is carried inside the image (/opt/tsd/manifest.json) and, with the output files and
 * the digest added, beside it in the cache.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { GuestArch } from './guest-image.js';
import type { Compression, KernelBoot, RootSpec } from './recipe.js';

export const MANIFEST_SCHEMA = 1;

export interface ComponentDeb {
  package: string;
  version: string;
  /** sha256 of the .deb as downloaded */
  sha256: string;
}

export interface ComponentNpm {
  package: string;
  version: string;
  integrity: string;
}

export interface ImageContents {
  schema: typeof MANIFEST_SCHEMA;
  arch: GuestArch;
  /** Bumped when the builder lays images out differently (part of the input key). */
  builderVersion: number;
  /** hz: the kernel's CONFIG_HZ (the driver's lpj= under tcg); absent in images built before it was recorded. */
  kernel: ComponentDeb & { release: string; boot: KernelBoot; hz?: number };
  debs: ComponentDeb[];
  node: ComponentNpm & { stripped: boolean };
  nodeModules: ComponentNpm[];
  /** The guest programs (dist/guest/*.mjs) and their sha256s. */
  bundles: Array<{ name: string; sha256: string }>;
  /** The runc helper and containerd's protos: where they are in the image, sha256 of the file or directory. */
  artifacts: Array<{ name: string; guestPath: string; sha256: string }>;
  /** sha256 of images/rootfs (paths and contents). */
  rootfsSha256: string;
  /** Kernel modules requested (guest/api/kernel-modules.ts) and the files included for them. */
  modules: { requested: string[]; files: string[] };
  busyboxApplets: number;
  /** Compression of the initramfs (with a root disk: of the small stage-1 initramfs). */
  compression: Compression;
  /** Where the files live: the initramfs, or a root disk (filesystem and its compression). */
  root: RootSpec;
  /** With a root disk: sha256 of images/stage1 and the modules the stage-1 initramfs carries. */
  stage1?: { sha256: string; modules: string[] };
}

export interface OutputFile {
  /** File name inside the image directory. */
  name: string;
  size: number;
  sha256: string;
}

export interface ImageManifest extends ImageContents {
  /** sha256 over the output files: same inputs, same digest. */
  digest: string;
  /** Key of the inputs this image was built from (see builder.ts). */
  inputKey: string;
  files: { kernel: OutputFile; initrd: OutputFile; rootDisk?: OutputFile };
  /** Uncompressed size of the initramfs archive. */
  initrdRawSize: number;
  /** With a root disk: the size of the files it holds (before the file system's compression). */
  rootDiskRawSize?: number;
  /**
   * With a root disk stored compressed (`root.stored: zstd`): the plain disk the guest reads, which
   * the host unpacks from files.rootDisk at first use and checks against this sha256.
   */
  rootDiskUnpacked?: OutputFile;
  /**
   * The image's size in its compressed forms: initramfs + root disk + the kernel as Debian ships it
   * (the xz bzImage; a vmlinux boot file is derived from it at build time). Target: ≤ 60 MB.
   */
  compressedSize: number;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The image digest: over the names and sha256s of the boot files, in a fixed order. */
export function imageDigest(files: ImageManifest['files']): string {
  const lines = [files.kernel, files.initrd, ...(files.rootDisk ? [files.rootDisk] : [])].map((f) => `${f.name} ${f.sha256}\n`);
  return `sha256:${sha256(lines.join(''))}`;
}
