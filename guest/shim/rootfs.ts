/**
 * The task's root filesystem: containerd hands the shim mount descriptions (a snapshotter's
 * overlay or bind mounts) and the shim mounts them on <bundle>/rootfs, and unmounts at delete.
 * Options split as containerd's mount package does: known words are flags, the rest is data.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TsdError } from '../api/errors.js';
import { check, libc } from '../sys/libc.js';

export interface MountDescription {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

const MS_RDONLY = 0x1;
const MS_REMOUNT = 0x20;
const MS_BIND = 0x1000;
const MS_REC = 0x4000;
const MNT_DETACH = 0x2;

/** option word -> [flag bits, whether the word clears them] */
const FLAGS: Record<string, [number, boolean]> = {
  ro: [MS_RDONLY, false],
  rw: [MS_RDONLY, true],
  nosuid: [0x2, false],
  suid: [0x2, true],
  nodev: [0x4, false],
  dev: [0x4, true],
  noexec: [0x8, false],
  exec: [0x8, true],
  sync: [0x10, false],
  async: [0x10, true],
  dirsync: [0x80, false],
  noatime: [0x400, false],
  atime: [0x400, true],
  nodiratime: [0x800, false],
  diratime: [0x800, true],
  relatime: [0x200000, false],
  norelatime: [0x200000, true],
  strictatime: [0x1000000, false],
  bind: [MS_BIND, false],
  rbind: [MS_BIND | MS_REC, false],
  remount: [MS_REMOUNT, false],
};

export function parseMountOptions(options: readonly string[]): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const option of options) {
    const known = FLAGS[option];
    if (!known) data.push(option);
    else if (known[1]) flags &= ~known[0];
    else flags |= known[0];
  }
  return { flags, data: data.join(',') };
}

export function mountRootfs(bundle: string, mounts: readonly MountDescription[]): void {
  if (mounts.length === 0) return;
  const rootfs = join(bundle, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  for (const m of mounts) {
    const { flags, data } = parseMountOptions(m.options);
    const type = m.type === 'rbind' || m.type === 'bind' ? 'none' : m.type;
    const bindFlags = m.type === 'rbind' ? MS_BIND | MS_REC : m.type === 'bind' ? MS_BIND : 0;
    const all = flags | bindFlags;
    const c = libc();
    check(`mount ${m.type} ${m.source} on ${rootfs}`, c.mount(m.source, rootfs, type, all & ~(all & MS_BIND ? MS_RDONLY : 0), data || null));
    // A read-only bind needs a second, remounting call: MS_RDONLY is ignored with MS_BIND.
    if (all & MS_BIND && all & MS_RDONLY) check(`remount ${rootfs} read-only`, c.mount('', rootfs, '', all | MS_REMOUNT, null));
  }
}

/** Unmounts everything stacked on <bundle>/rootfs (lazily, so a busy mount does not block delete). */
export function unmountRootfs(bundle: string): void {
  const rootfs = resolve(join(bundle, 'rootfs'));
  for (let i = 0; i < 16 && isMountPoint(rootfs); i++) {
    if (libc().umount2(rootfs, MNT_DETACH) !== 0) throw new TsdError('internal', `cannot unmount ${rootfs}`);
  }
}

function isMountPoint(path: string): boolean {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  return text.split('\n').some((line) => (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))) === path);
}
