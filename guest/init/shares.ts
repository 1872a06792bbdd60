/**
 * Host folders shared with virtio-9p, mounted at the same path as on the host (GuestConfig.mounts),
 * read-only unless declared writable.
 */
import { mkdir } from 'node:fs/promises';
import type { GuestMount } from '../api/guest-config.js';
import { MS_RDONLY } from '../sys/mount.js';
import { mountWithBusybox } from './busybox-mount.js';

/** The largest message virtio-9p takes on Linux 6.1 (the kernel limits larger values to this, with a warning). */
export const NINEP_MSIZE = 512_000;

export function ninepOptions(share: GuestMount): { flags: number; data: string } {
  return {
    flags: share.writable ? 0 : MS_RDONLY,
    data: `trans=virtio,version=9p2000.L,msize=${NINEP_MSIZE}`,
  };
}

export async function mountShare(share: GuestMount): Promise<void> {
  await mkdir(share.guestPath, { recursive: true });
  const { flags, data } = ninepOptions(share);
  await mountWithBusybox({ source: share.tag, target: share.guestPath, fstype: '9p', flags, data });
}
