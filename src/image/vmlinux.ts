/**
 * Extracts the uncompressed ELF kernel (vmlinux) from an x86 bzImage. QEMU boots an ELF vmlinux
 * through its PVH entry point on microvm, which skips the kernel's own xz decompression — slow
 * under tcg (see docs/guest-image.md). Debian's amd64 kernels are xz-compressed (CONFIG_KERNEL_XZ).
 */
import { open, readFile } from 'node:fs/promises';
import { TsdError } from '../../guest/api/errors.js';
import { run } from './run.js';

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

export async function extractVmlinux(bzImage: string, out: string): Promise<void> {
  const image = await readFile(bzImage);
  const start = image.indexOf(XZ_MAGIC);
  if (start < 0) throw new TsdError('unsupported', `${bzImage}: no xz payload found (only xz-compressed bzImages are supported)`);
  const file = await open(out, 'w');
  try {
    // --single-stream stops at the end of the payload and ignores the bzImage's trailing bytes.
    await run('xz', ['-dc', '--single-stream'], { input: image.subarray(start), stdoutFd: file.fd });
    await file.sync();
  } finally {
    await file.close();
  }
  const head = Buffer.alloc(4);
  const check = await open(out, 'r');
  try {
    await check.read(head, 0, 4, 0);
  } finally {
    await check.close();
  }
  if (!head.equals(ELF_MAGIC)) throw new TsdError('internal', `${bzImage}: the xz payload is not an ELF kernel`);
}
