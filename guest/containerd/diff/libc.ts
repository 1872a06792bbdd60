/**
 * The few syscalls Node lacks that layer application needs — mknod (whiteouts, device nodes,
 * fifos) and l{set,get}xattr (opaque directories, PAX xattrs) — through koffi and glibc.
 * Loaded on first use so that programs that never apply a layer do not pay for it.
 */
import { constants } from 'node:os';

type Koffi = typeof import('koffi');
interface Libc {
  koffi: Koffi;
  mknod: (path: string, mode: number, dev: bigint) => number;
  lsetxattr: (path: string, name: string, value: Buffer, size: number, flags: number) => number;
  lgetxattr: (path: string, name: string, value: Buffer | null, size: number) => number;
}

let loading: Promise<Libc> | undefined;

async function libc(): Promise<Libc> {
  loading ??= import('koffi').then((module) => {
    const koffi = ((module as unknown as { default?: Koffi }).default ?? module) as Koffi;
    const lib = koffi.load('libc.so.6');
    return {
      koffi,
      mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)') as Libc['mknod'],
      lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)') as Libc['lsetxattr'],
      lgetxattr: lib.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)') as Libc['lgetxattr'],
    };
  });
  return await loading;
}

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

/** glibc's makedev. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

export async function mknod(path: string, mode: number, major = 0, minor = 0): Promise<void> {
  const c = await libc();
  if (c.mknod(path, mode, makedev(major, minor)) !== 0) throw errnoError(c.koffi.errno(), 'mknod', path);
}

export async function lsetxattr(path: string, name: string, value: Buffer): Promise<void> {
  const c = await libc();
  if (c.lsetxattr(path, name, value, value.length, 0) !== 0) throw errnoError(c.koffi.errno(), `lsetxattr ${name}`, path);
}

/** The xattr's value, or undefined when the file does not have it. */
export async function lgetxattr(path: string, name: string): Promise<Buffer | undefined> {
  const c = await libc();
  const size = c.lgetxattr(path, name, null, 0);
  if (size < 0) {
    const errno = c.koffi.errno();
    if (errno === constants.errno.ENODATA) return undefined;
    throw errnoError(errno, `lgetxattr ${name}`, path);
  }
  const value = Buffer.alloc(size);
  const read = c.lgetxattr(path, name, value, size);
  if (read < 0) throw errnoError(c.koffi.errno(), `lgetxattr ${name}`, path);
  return value.subarray(0, read);
}

/** An Error shaped like Node's fs errors (code, errno, syscall, path). */
export function errnoError(errno: number, syscall: string, path: string): NodeJS.ErrnoException {
  const code = Object.entries(constants.errno).find(([, value]) => value === errno)?.[0] ?? `E${errno}`;
  const error: NodeJS.ErrnoException = new Error(`${code}: ${syscall} ${path}`);
  error.code = code;
  error.errno = -errno;
  error.syscall = syscall;
  error.path = path;
  return error;
}
