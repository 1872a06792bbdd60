/**
 * The read-only root disk: the image's whole file tree as a squashfs or erofs file system, made
 * with the host's mksquashfs / mkfs.erofs with every varying input pinned (owner, times, UUID,
 * no xattrs), so that the same tree gives the same bytes. The kernel must be able to read it:
 * the builder checks the kernel's configuration first.
 */
import { TsdError } from '../../guest/api/errors.js';
import type { RootSpec } from './recipe.js';
import { run } from './run.js';

export type RootDiskSpec = Exclude<RootSpec, { filesystem: 'initramfs' }>;

/** A fixed file system UUID (erofs writes a random one otherwise). */
const EROFS_UUID = '7473642d-726f-4f74-8000-000000000001';
/**
 * squashfs block size: 1 MiB compresses node's binary ~10 % better than 128 KiB and started node
 * no slower in the guest (docs/guest-image.md).
 */
const SQUASHFS_BLOCK = '1M';
/**
 * zstd level 19: 39.6 MB for the x86_64 tree. Measured on the same tree: level 12 gives 44.2 MB in
 * 4 s of CPU, 16 gives 42.3 MB in 26 s, 19 costs about a minute of CPU per build (images are
 * rebuilt whenever a guest bundle changes). 19 keeps both arches well inside the 60 MB limit;
 * decompression in the guest is as fast at any level.
 */
const SQUASHFS_ZSTD_LEVEL = 19;
/** erofs physical cluster: 64 KiB is 18 % smaller than the default 4 KiB. */
const EROFS_PCLUSTER = '65536';

export function rootDiskFileName(spec: RootDiskSpec): string {
  return `root.${spec.filesystem}`;
}

/** The kernel options a root disk needs (module or built in), beyond overlayfs. */
export function rootDiskKernelOptions(spec: RootDiskSpec): Array<{ option: string; values: string[] }> {
  if (spec.filesystem === 'squashfs') {
    return [
      { option: 'CONFIG_SQUASHFS', values: ['y', 'm'] },
      { option: `CONFIG_SQUASHFS_${spec.compression.toUpperCase()}`, values: ['y'] },
      { option: 'CONFIG_OVERLAY_FS', values: ['y', 'm'] },
    ];
  }
  return [
    { option: 'CONFIG_EROFS_FS', values: ['y', 'm'] },
    ...(spec.compression === 'none' ? [] : [{ option: 'CONFIG_EROFS_FS_ZIP', values: ['y'] }]),
    { option: 'CONFIG_OVERLAY_FS', values: ['y', 'm'] },
  ];
}

export function checkKernelSupport(spec: RootDiskSpec, config: Map<string, string>, kernelPackage: string): void {
  for (const { option, values } of rootDiskKernelOptions(spec)) {
    if (!values.includes(config.get(option) ?? '')) {
      throw new TsdError('unsupported', `${kernelPackage} cannot mount a ${spec.filesystem} (${spec.compression}) root disk: ${option} is not set`);
    }
  }
}

/** The host command that makes the disk (pure: tested). */
export function rootDiskCommand(spec: RootDiskSpec, treeDir: string, out: string): { command: string; args: string[] } {
  if (spec.filesystem === 'squashfs') {
    const level = spec.compression === 'zstd' ? ['-Xcompression-level', String(SQUASHFS_ZSTD_LEVEL)] : spec.compression === 'lz4' ? ['-Xhc'] : [];
    return {
      command: 'mksquashfs',
      args: [
        treeDir, out, '-noappend', '-quiet', '-no-progress',
        '-comp', spec.compression, ...level, '-b', SQUASHFS_BLOCK,
        '-all-root', '-no-xattrs', '-mkfs-time', '0', '-all-time', '0',
      ],
    };
  }
  const compressor = spec.compression === 'none' ? [] : [`-z${spec.compression === 'lz4hc' ? 'lz4hc,12' : 'lz4'}`, `-C${EROFS_PCLUSTER}`];
  return {
    command: 'mkfs.erofs',
    args: ['--quiet', ...compressor, '-T0', '--all-root', `-U${EROFS_UUID}`, '-x-1', out, treeDir],
  };
}

export async function makeRootDisk(spec: RootDiskSpec, treeDir: string, out: string): Promise<void> {
  const { command, args } = rootDiskCommand(spec, treeDir, out);
  await run(command, args);
}
