/**
 * The little mount handling containerd itself does for tasks: unmount whatever is left on a
 * bundle's rootfs (a shim that died before its own cleanup) before the bundle is removed.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { check, libc } from '../../sys/libc.js';

const MNT_DETACH = 2;

/** Mount points in this mount namespace, decoded from /proc/self/mountinfo (\040 etc.). */
async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').filter(Boolean).map((line) => (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
}

export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountPoints()).includes(resolve(path));
}

/** Unmounts every mount stacked on `path` (lazily, as containerd's UnmountAll with MNT_DETACH). */
export async function unmountAll(path: string): Promise<void> {
  const target = resolve(path);
  for (let i = 0; i < 16 && (await isMountPoint(target)); i++) check(`umount2 ${target}`, libc().umount2(target, MNT_DETACH));
}
