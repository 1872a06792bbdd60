/**
 * The two ways to express a deletion from a lower layer (AUFS-style `.wh.` names in the tar):
 *  - overlay: the applied directory becomes an overlayfs upper layer, so `.wh.NAME` becomes a
 *    character device 0:0 named NAME and `.wh..wh..opq` sets `trusted.overlay.opaque=y` on its
 *    directory — overlayfs then hides the lower entries;
 *  - native: the directory already holds a copy of the lower layers (the copy snapshotter), so
 *    `.wh.NAME` deletes NAME and `.wh..wh..opq` deletes every lower entry of the directory
 *    (entries this layer itself created are kept).
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { S_IFCHR, lsetxattr, mknod } from './libc.js';

export type ApplyMode = 'overlay' | 'native';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
/** Other `.wh..wh.` names are AUFS bookkeeping (e.g. hard-link dirs) and carry nothing to apply. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';

export async function applyWhiteout(mode: ApplyMode, dir: string, name: string): Promise<void> {
  const path = join(dir, name);
  await rm(path, { recursive: true, force: true });
  if (mode === 'overlay') await mknod(path, S_IFCHR, 0, 0);
}

/** `createdHere`: absolute paths this layer has written so far (kept by the native flavour). */
export async function applyOpaque(mode: ApplyMode, dir: string, createdHere: ReadonlySet<string>): Promise<void> {
  if (mode === 'overlay') {
    await lsetxattr(dir, 'trusted.overlay.opaque', Buffer.from('y'));
    return;
  }
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    if (!createdHere.has(path)) await rm(path, { recursive: true, force: true });
  }
}
