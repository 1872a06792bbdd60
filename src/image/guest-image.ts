/**
 * The guest image as the machine driver consumes it. Built (or found in the cache) by the
 * image builder; booted by the QEMU driver. Implementations live beside this file.
 */
export type GuestArch = 'x86_64' | 'aarch64';

export interface GuestImage {
  arch: GuestArch;
  /** Content digest of the image (sha256:…): same inputs, same digest. */
  digest: string;
  /** Kernel to boot with -kernel. */
  kernelPath: string;
  /** Initramfs to boot with -initrd. */
  initrdPath: string;
  /**
   * Optional read-only root disk (e.g. erofs). When present, the driver attaches it as a
   * virtio-blk device with serial ROOT_DISK_SERIAL (guest-layout.ts), read-only.
   */
  rootDiskPath?: string;
  /** Kernel command-line words this image needs (rdinit=, root=…); the driver adds console and its own. */
  kernelArgs: string[];
  /** The kernel's timer frequency (CONFIG_HZ) when the image records it; the driver derives lpj= from it. */
  kernelHz?: number;
  /** Path of the image's manifest.json (components and versions). */
  manifestPath: string;
}

export interface GuestImageBuilder {
  /** Returns the image for the architecture, building it only when its inputs changed. */
  ensure(arch: GuestArch, options?: { onProgress?: (line: string) => void }): Promise<GuestImage>;
}
