/**
 * The FIFOs a task's stdio goes through (dockerd makes them, the shim opens the other ends), as
 * Docker does under EXEC_ROOT/containers/<id>/. Reading side: opened O_RDONLY|O_NONBLOCK so the
 * open never blocks, plus a short-lived O_RDWR "keeper" so that reads see "no data yet" instead
 * of EOF until the shim has opened its end; after the keeper is closed, EOF means the process and
 * everything it forked closed stdout — i.e. all output has been read.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { mknod, S_IFIFO } from '../../../containerd/diff/libc.js';

export async function makeFifo(path: string): Promise<void> {
  await rm(path, { force: true });
  await mknod(path, S_IFIFO | 0o600);
}

export interface FifoReader {
  stream: Socket;
  /** Call once the writer (shim) has its end open; from then on EOF is real. */
  releaseKeeper(): void;
}

export function openFifoReader(path: string, keep = true): FifoReader {
  let keeper = keep ? openSync(path, constants.O_RDWR | constants.O_NONBLOCK) : -1;
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const stream = new Socket({ fd, readable: true, writable: false });
  stream.on('error', () => undefined);
  return {
    stream,
    releaseKeeper() {
      if (keeper >= 0) closeSync(keeper);
      keeper = -1;
    },
  };
}

/** The writing side of stdin; O_RDWR so the open does not wait for the shim. */
export function openFifoWriter(path: string): Socket {
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  const stream = new Socket({ fd, readable: false, writable: true });
  stream.on('error', () => undefined);
  return stream;
}
