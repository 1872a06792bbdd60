/**
 * The C library functions Node lacks, bound with koffi on first use (so that programs that never
 * call them never load the native module). Each wrapper throws a TsdError naming the call and errno.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { TsdError } from '../api/errors.js';

type Koffi = typeof import('koffi');
type Fn = (...args: unknown[]) => number;

export interface Libc {
  koffi: Koffi;
  mount: Fn;
  umount2: Fn;
  reboot: Fn;
  sync: () => void;
  clock_settime: Fn;
  posix_openpt: Fn;
  grantpt: Fn;
  unlockpt: Fn;
  ptsname_r: Fn;
  ioctl: Fn;
  timespec: unknown;
  winsize: unknown;
}

let cached: Libc | undefined;

export function libc(): Libc {
  if (cached) return cached;
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (error) {
    throw new TsdError('unavailable', `cannot load koffi (native FFI for syscalls): ${(error as Error).message}`, { cause: error });
  }
  const lib = koffi.load('libc.so.6');
  const timespec = koffi.struct('tsd_timespec', { tv_sec: 'int64_t', tv_nsec: 'long' });
  const winsize = koffi.struct('tsd_winsize', { ws_row: 'uint16_t', ws_col: 'uint16_t', ws_xpixel: 'uint16_t', ws_ypixel: 'uint16_t' });
  cached = {
    koffi,
    mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)') as Fn,
    umount2: lib.func('int umount2(const char *target, int flags)') as Fn,
    reboot: lib.func('int reboot(int cmd)') as Fn,
    sync: lib.func('void sync(void)') as () => void,
    clock_settime: lib.func('int clock_settime(int clock, const tsd_timespec *ts)') as Fn,
    posix_openpt: lib.func('int posix_openpt(int flags)') as Fn,
    grantpt: lib.func('int grantpt(int fd)') as Fn,
    unlockpt: lib.func('int unlockpt(int fd)') as Fn,
    ptsname_r: lib.func('int ptsname_r(int fd, _Out_ char *buf, size_t len)') as Fn,
    ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)') as Fn,
    timespec,
    winsize,
  };
  return cached;
}

/** Throws a TsdError for a failed call (result -1), with the errno's name. */
export function check(call: string, result: number): number {
  if (result !== -1) return result;
  const errno = libc().koffi.errno();
  const name = Object.entries(os.constants.errno).find(([, value]) => value === errno)?.[0] ?? `errno ${errno}`;
  const code = name === 'ENOENT' ? 'not-found' : name === 'EINVAL' ? 'invalid-argument' : name === 'EBUSY' ? 'conflict' : 'internal';
  throw new TsdError(code, `${call} failed: ${name}`);
}
