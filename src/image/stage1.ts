/**
 * The small initramfs of an image with a root disk: busybox, the stage-1 /init
 * (images/stage1/init) and the modules it loads to reach the disk. Everything else is on the
 * root disk, read on demand: the kernel unpacks ~2 MB instead of ~130 MB, and QEMU does not hold
 * the whole tree in guest RAM (docs/guest-image.md).
 */
import { join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import { addKernelModules } from './kernel.js';
import type { RootDiskSpec } from './root-disk.js';
import type { ResolvedKernel } from './resolve.js';
import { ImageTree } from './tree.js';

/** What stage 1 loads: a virtio transport (mmio on microvm, pci on q35/virt), the disk, overlayfs. */
export const STAGE1_MODULES = ['virtio_mmio', 'virtio_pci', 'virtio_blk', 'overlay'];
/** Mount points stage 1 uses (images/stage1/init). */
const STAGE1_DIRECTORIES = ['/dev', '/proc', '/sys', '/etc', '/lower', '/overlay', '/newroot'];

export interface Stage1Inputs {
  /** The guest's busybox binary on the host, and its applets (bin/sh, sbin/modprobe…). */
  busybox: string;
  busyboxApplets: string[];
  /** images/stage1: the stage-1 /init. */
  stage1Dir: string;
  kernelDir: string;
  kernel: ResolvedKernel;
  /** Scratch directory for the reduced module tree. */
  stageDir: string;
}

export async function stage1Tree(spec: RootDiskSpec, inputs: Stage1Inputs): Promise<{ tree: ImageTree; modules: string[] }> {
  const tree = new ImageTree();
  for (const dir of STAGE1_DIRECTORIES) tree.add(dir, { kind: 'directory', mode: 0o755 });
  // the kernel opens /dev/console for init's stdio before anything is mounted
  tree.add('/dev/console', { kind: 'chardev', mode: 0o600, major: 5, minor: 1 });
  await tree.addHostPath(join(inputs.stage1Dir, 'init'), '/init', 0o755);
  tree.addData('/etc/tsd-root-fs', `${spec.filesystem}\n`);
  await tree.addHostPath(inputs.busybox, '/bin/busybox', 0o755);
  for (const applet of inputs.busyboxApplets) {
    const path = `/${applet}`;
    if (path !== '/bin/busybox' && tree.get(path) === undefined) tree.addSymlink(path, '/bin/busybox');
  }
  const modules = await addKernelModules(tree, inputs.kernelDir, inputs.kernel, [...STAGE1_MODULES, spec.filesystem], inputs.stageDir);
  if (!modules.some((file) => file.endsWith(`/${spec.filesystem}.ko`))) {
    throw new TsdError('not-found', `${inputs.kernel.package} has no ${spec.filesystem} module for the root disk`);
  }
  return { tree, modules };
}
