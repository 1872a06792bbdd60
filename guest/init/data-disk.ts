/**
 * The data disk: found by its virtio-blk serial (not by /dev/vdX order), formatted ext4 on first
 * boot only (an existing ext4 superblock is never touched), mounted at /var/lib.
 */
import { mkdir, open, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../api/errors.js';
import { MS_RELATIME } from '../sys/mount.js';
import { mountWithBusybox } from './busybox-mount.js';
import { runCommand } from './run-command.js';

/** ext2/3/4 superblock: 1024 bytes into the device; its magic 0xEF53 (little-endian) at byte 0x38. */
const SUPERBLOCK_OFFSET = 1024;
const MAGIC_OFFSET = 0x38;
const EXT_MAGIC = 0xef53;

export function hasExtSuperblock(head: Buffer): boolean {
  const at = SUPERBLOCK_OFFSET + MAGIC_OFFSET;
  return head.length >= at + 2 && head.readUInt16LE(at) === EXT_MAGIC;
}

/** /dev/<name> of the block device whose serial is `serial`, or undefined. */
export async function findDiskBySerial(serial: string, sysBlock = '/sys/block'): Promise<string | undefined> {
  for (const name of (await readdir(sysBlock)).sort()) {
    try {
      if ((await readFile(join(sysBlock, name, 'serial'), 'utf8')).trim() === serial) return `/dev/${name}`;
    } catch {
      // Devices without a serial (loop, ram) are not ours.
    }
  }
  return undefined;
}

/** Polls for the disk: virtio devices appear while their driver probes, just after modprobe. */
export async function waitForDisk(serial: string, timeoutMs: number, sysBlock = '/sys/block'): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const device = await findDiskBySerial(serial, sysBlock);
    if (device) return device;
    if (Date.now() > deadline) throw new TsdError('not-found', `no block device with serial ${serial} after ${timeoutMs} ms (is the data disk attached with serial=${serial}?)`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function readDeviceHead(device: string): Promise<Buffer> {
  const file = await open(device, 'r');
  try {
    const buffer = Buffer.alloc(SUPERBLOCK_OFFSET * 2);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

export type DiskPreparation = 'formatted' | 'existing';

/** Formats the device when it carries no ext superblock; returns what it found. */
export async function ensureExt4(device: string, label: string): Promise<DiskPreparation> {
  if (hasExtSuperblock(await readDeviceHead(device))) return 'existing';
  // Lazy init keeps mkfs fast; the kernel finishes the inode tables in the background.
  await runCommand(['mke2fs', '-t', 'ext4', '-q', '-F', '-L', label, '-E', 'lazy_itable_init=1,lazy_journal_init=1', device]);
  return 'formatted';
}

export async function mountExt4(device: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  await mountWithBusybox({ source: device, target, fstype: 'ext4', flags: MS_RELATIME });
}
