/**
 * Pseudo-terminals: a master the server reads and writes, and the slave path a child opens as its
 * terminal. The master is close-on-exec so children never inherit it.
 */
import { TsdError } from '../api/errors.js';
import { check, libc } from './libc.js';

const O_RDWR = 0x2;
const O_NOCTTY = 0x100;
const O_CLOEXEC = 0x80000;
/** Same value on x86_64 and aarch64 (asm-generic ioctls). */
const TIOCSWINSZ = 0x5414;

export interface Pty {
  masterFd: number;
  slavePath: string;
}

export interface WindowSize {
  cols: number;
  rows: number;
  widthPx?: number;
  heightPx?: number;
}

export function openPty(): Pty {
  const c = libc();
  const masterFd = check('posix_openpt', c.posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  check('grantpt', c.grantpt(masterFd));
  check('unlockpt', c.unlockpt(masterFd));
  const buffer = Buffer.alloc(64);
  if (c.ptsname_r(masterFd, buffer, buffer.length) !== 0) throw new TsdError('internal', 'ptsname_r failed');
  return { masterFd, slavePath: buffer.toString('utf8', 0, buffer.indexOf(0)) };
}

export function setWindowSize(fd: number, size: WindowSize): void {
  const winsize = { ws_row: clamp(size.rows), ws_col: clamp(size.cols), ws_xpixel: clamp(size.widthPx ?? 0), ws_ypixel: clamp(size.heightPx ?? 0) };
  check('ioctl(TIOCSWINSZ)', libc().ioctl(fd, TIOCSWINSZ, 'tsd_winsize *', winsize));
}

function clamp(value: number): number {
  return Math.max(0, Math.min(0xffff, Math.trunc(value)));
}
