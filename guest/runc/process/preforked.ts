/**
 * The helper that bin/tsd-runc started for this invocation (create and run, see
 * guest/native/front-helper.c): its pid and our end of its sync socket come in the environment,
 * which is cleared at start-up so that nothing this process starts (hooks, a nested tsd-runc)
 * takes them for its own. Talking to it needs no child_process: the socket is read through libuv's
 * thread pool (fs.read) and written with fs.writeSync.
 */
import { close, read, writeSync } from 'node:fs';

export interface PreforkedHelper {
  pid: number;
  /** Our end of the sync socket (blocking). */
  fd: number;
}

let taken: PreforkedHelper | undefined;

/** Called once at start-up (main.ts). */
export function takePreforkedHelperFromEnv(): void {
  const fd = Number(process.env.TSD_RUNC_SYNC_FD);
  const pid = Number(process.env.TSD_RUNC_HELPER_PID);
  delete process.env.TSD_RUNC_SYNC_FD;
  delete process.env.TSD_RUNC_HELPER_PID;
  if (Number.isInteger(fd) && fd > 2 && Number.isInteger(pid) && pid > 0) taken = { fd, pid };
}

/** The pre-started helper, for the one startHelper() call that runs the init; then gone. */
export function claimPreforkedHelper(): PreforkedHelper | undefined {
  const helper = taken;
  taken = undefined;
  return helper;
}

export function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
}

/** Reads until end of file (every copy of the helper's end closed), then closes the fd. */
export function readUntilEnd(fd: number, onData: (chunk: Buffer) => void, onEnd: () => void): void {
  const buffer = Buffer.alloc(4096);
  const next = () =>
    read(fd, buffer, 0, buffer.length, null, (error, n) => {
      if (error && (error.code === 'EINTR' || error.code === 'EAGAIN')) return next();
      if (error || n === 0) {
        close(fd, () => undefined);
        onEnd();
        return;
      }
      onData(buffer.subarray(0, n));
      next();
    });
  next();
}
