/** mount(2) and umount2(2). */
import { check, libc } from './libc.js';

export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_RELATIME = 0x200000;
export const MNT_DETACH = 0x2;

export function mount(source: string, target: string, fstype: string, flags: number, data = ''): void {
  check(`mount ${fstype} on ${target}`, libc().mount(source, target, fstype, flags, data || null));
}

export function umount(target: string, flags = 0): void {
  check(`umount ${target}`, libc().umount2(target, flags));
}
