/** What `tsd image build` reports about an image: one typed object, plus its lines for humans. */
import type { GuestImage } from './guest-image.js';
import type { ImageManifest } from './manifest.js';

export interface ImageSummary {
  arch: GuestImage['arch'];
  digest: string;
  kernelPath: string;
  initrdPath: string;
  rootDiskPath?: string;
  manifestPath: string;
  kernelArgs: string[];
  sizes: { kernel: number; initrd: number; initrdUncompressed: number; rootDisk?: number; rootDiskUnpacked?: number; compressed: number };
  compression: ImageManifest['compression'];
  versions: { kernel: string; kernelPackage: string; node: string };
}

export function describeImage(image: GuestImage, manifest: ImageManifest): ImageSummary {
  const sizes = {
    kernel: manifest.files.kernel.size,
    initrd: manifest.files.initrd.size,
    initrdUncompressed: manifest.initrdRawSize,
    ...(manifest.files.rootDisk ? { rootDisk: manifest.files.rootDisk.size } : {}),
    ...(manifest.rootDiskUnpacked ? { rootDiskUnpacked: manifest.rootDiskUnpacked.size } : {}),
    compressed: manifest.compressedSize,
  };
  return {
    arch: image.arch,
    digest: image.digest,
    kernelPath: image.kernelPath,
    initrdPath: image.initrdPath,
    ...(image.rootDiskPath ? { rootDiskPath: image.rootDiskPath } : {}),
    manifestPath: image.manifestPath,
    kernelArgs: image.kernelArgs,
    sizes,
    compression: manifest.compression,
    versions: { kernel: manifest.kernel.release, kernelPackage: `${manifest.kernel.package} ${manifest.kernel.version}`, node: manifest.node.version },
  };
}

/** The summary as lines for a terminal. */
export function summaryLines(summary: ImageSummary): string[] {
  const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
  const { sizes } = summary;
  return [
    `${summary.arch} ${summary.digest}`,
    `kernel   ${summary.kernelPath} (${mb(sizes.kernel)}, ${summary.versions.kernelPackage})`,
    `initrd   ${summary.initrdPath} (${mb(sizes.initrd)} ${summary.compression}, ${mb(sizes.initrdUncompressed)} unpacked)`,
    ...(summary.rootDiskPath && sizes.rootDisk
      ? [`root     ${summary.rootDiskPath} (${sizes.rootDiskUnpacked === undefined ? mb(sizes.rootDisk) : `${mb(sizes.rootDiskUnpacked)}, stored as ${mb(sizes.rootDisk)} zstd`})`]
      : []),
    `size     ${mb(sizes.compressed)} compressed (initramfs + root disk + the kernel as Debian ships it)`,
    `node     ${summary.versions.node}`,
    `manifest ${summary.manifestPath}`,
  ];
}
