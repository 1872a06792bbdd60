/**
 * The syscalls the shim needs that Node lacks, bound with koffi on first use: child subreaper,
 * real pipes (pipe2: a container's stdout must be a pipe, not libuv's socketpair, so that
 * `/dev/stdout` can be opened), pidfds and waitid for exit statuses, and the unix socket calls
 * that receive a pty master with SCM_RIGHTS (runc's --console-socket).
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { TsdError } from '../api/errors.js';

type Koffi = typeof import('koffi');
type Fn = (...args: unknown[]) => number;

interface Native {
  koffi: Koffi;
  prctl: Fn;
  pipe2: Fn;
  close: Fn;
  syscall: Fn;
  waitid: Fn;
  socket: Fn;
  bind: Fn;
  listen: Fn;
  accept4: Fn;
  recvmsg: Fn;
  iovec: unknown;
}

let cached: Native | undefined;

function native(): Native {
  if (cached) return cached;
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  const lib = koffi.load('libc.so.6');
  const iovec = koffi.struct('tsd_shim_iovec', { base: 'void *', len: 'size_t' });
  koffi.struct('tsd_shim_msghdr', {
    name: 'void *', namelen: 'uint32_t', iov: 'void *', iovlen: 'size_t', control: 'void *', controllen: 'size_t', flags: 'int',
  });
  cached = {
    koffi,
    prctl: lib.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)') as Fn,
    pipe2: lib.func('int pipe2(_Out_ int *fds, int flags)') as Fn,
    close: lib.func('int close(int fd)') as Fn,
    syscall: lib.func('long syscall(long number, ...)') as Fn,
    waitid: lib.func('int waitid(int idtype, uint32_t id, _Out_ uint8_t *info, int options)') as Fn,
    socket: lib.func('int socket(int domain, int type, int protocol)') as Fn,
    bind: lib.func('int bind(int fd, const uint8_t *addr, uint32_t len)') as Fn,
    listen: lib.func('int listen(int fd, int backlog)') as Fn,
    accept4: lib.func('int accept4(int fd, void *addr, void *len, int flags)') as Fn,
    recvmsg: lib.func('long recvmsg(int fd, _Inout_ tsd_shim_msghdr *msg, int flags)') as Fn,
    iovec,
  };
  return cached;
}

export function errnoName(): string {
  const errno = native().koffi.errno();
  return Object.entries(os.constants.errno).find(([, value]) => value === errno)?.[0] ?? `errno ${errno}`;
}

function check(call: string, result: number): number {
  if (result >= 0) return result;
  throw new TsdError('internal', `${call} failed: ${errnoName()}`);
}

const PR_SET_CHILD_SUBREAPER = 36;
const O_CLOEXEC = 0x80000;
const SYS_PIDFD_OPEN = 434; // the same number on x86_64 and aarch64

export function becomeSubreaper(): void {
  check('prctl(PR_SET_CHILD_SUBREAPER)', native().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

/** A pipe, both ends close-on-exec: [read, write]. */
export function pipe(): [number, number] {
  const fds = new Int32Array(2);
  check('pipe2', native().pipe2(fds, O_CLOEXEC));
  return [fds[0]!, fds[1]!];
}

export function closeFd(fd: number): void {
  native().close(fd);
}

/** A pidfd for pid; ESRCH when the process is already reaped. */
export function pidfdOpen(pid: number): number {
  return check(`pidfd_open(${pid})`, native().syscall(SYS_PIDFD_OPEN, 'int', pid, 'unsigned int', 0));
}

export const P_ALL = 0;
export const P_PID = 1;
export const P_PIDFD = 3;
export const WNOHANG = 1;
export const WEXITED = 4;
export const WNOWAIT = 0x01000000;

export interface WaitResult {
  pid: number;
  /** The exit code, or 128 + signal for a process killed by a signal (like a shell reports it). */
  status: number;
}

/**
 * waitid(2) with WNOHANG: undefined when nothing has exited (or there is no such child).
 * siginfo_t: si_code at offset 8, si_pid at 16, si_status at 24 (x86_64 and aarch64).
 */
export function waitid(idtype: number, id: number, options: number): WaitResult | undefined {
  const info = Buffer.alloc(128);
  const result = native().waitid(idtype, id, info, options | WEXITED | WNOHANG);
  if (result < 0) return undefined;
  const pid = info.readInt32LE(16);
  if (pid === 0) return undefined;
  const code = info.readInt32LE(8);
  const value = info.readInt32LE(24);
  const CLD_EXITED = 1;
  return { pid, status: code === CLD_EXITED ? value : 128 + value };
}

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0x800;
const SOCK_CLOEXEC = 0x80000;

/** A listening unix socket (non-blocking), for runc's --console-socket. */
export function listenUnix(path: string): number {
  const n = native();
  const fd = check('socket', n.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  const address = Buffer.alloc(110);
  address.writeUInt16LE(AF_UNIX, 0);
  if (Buffer.byteLength(path) > 107) throw new TsdError('invalid-argument', `socket path too long: ${path}`);
  address.write(path, 2);
  if (n.bind(fd, address, address.length) < 0 || n.listen(fd, 1) < 0) {
    const error = errnoName();
    n.close(fd);
    throw new TsdError('internal', `console socket ${path}: ${error}`);
  }
  return fd;
}

/** accept4 without blocking: a connected non-blocking fd, or undefined if nobody is waiting (EAGAIN). */
export function tryAccept(fd: number): number | undefined {
  const result = native().accept4(fd, null, null, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (result >= 0) return result;
  if (errnoName() === 'EAGAIN') return undefined;
  throw new TsdError('internal', `accept on the console socket failed: ${errnoName()}`);
}

/**
 * Receives one fd passed with SCM_RIGHTS on a connected non-blocking socket. Returns the fd and
 * the message (runc sends the pty's name), or undefined when nothing has arrived yet (EAGAIN).
 */
export function receiveFd(socketFd: number): { fd: number; name: string } | undefined {
  const n = native();
  const { koffi } = n;
  const data = koffi.alloc('uint8_t', 4096);
  const control = koffi.alloc('uint8_t', 64);
  const iov = koffi.alloc(n.iovec as never, 1);
  try {
    koffi.encode(iov, n.iovec as never, { base: data, len: 4096 });
    const message = { name: null, namelen: 0, iov, iovlen: 1, control, controllen: 64, flags: 0 };
    const MSG_CMSG_CLOEXEC = 0x40000000;
    const result = n.recvmsg(socketFd, message, MSG_CMSG_CLOEXEC);
    if (result < 0 && errnoName() === 'EAGAIN') return undefined;
    const received = check('recvmsg(console socket)', result);
    const cmsg = Buffer.from(koffi.decode(control, 'uint8_t', message.controllen) as number[]);
    // struct cmsghdr { size_t len; int level; int type; } then the fds. SOL_SOCKET 1, SCM_RIGHTS 1.
    if (cmsg.length < 20 || cmsg.readInt32LE(8) !== 1 || cmsg.readInt32LE(12) !== 1) {
      throw new TsdError('internal', 'the console socket message carried no file descriptor');
    }
    const name = Buffer.from(koffi.decode(data, 'uint8_t', received) as number[]).toString();
    return { fd: cmsg.readInt32LE(16), name };
  } finally {
    koffi.free(data);
    koffi.free(control);
    koffi.free(iov);
  }
}
