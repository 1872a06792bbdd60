/**
 * The shim's log: a fifo named "log" in the bundle that the shim opens write-only as its stderr
 * (runc's shim blocks in that open until a reader exists). containerd creates it and copies what
 * arrives to its own stderr, on start and again after a restart.
 */
import { openSync, constants as fs } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { mknod, S_IFIFO } from '../diff/libc.js';
import type { TaskBundle } from './bundle.js';

export interface ShimLog {
  close(): void;
}

/** Creates the fifo when missing and copies its lines to `out`, prefixed with the task. */
export async function openShimLog(bundle: TaskBundle, out: NodeJS.WritableStream = process.stderr): Promise<ShimLog> {
  const path = join(bundle.path, 'log');
  const existing = await stat(path).catch(() => undefined);
  if (!existing) await mknod(path, S_IFIFO | 0o700);
  // O_RDWR: opening a fifo for reading alone would block until the shim opens it; with a write
  // end held here, the read side also never sees EOF when a shim restarts its logging.
  const fd = openSync(path, fs.O_RDWR | fs.O_NONBLOCK);
  const socket = new Socket({ fd, readable: true, writable: false });
  const prefix = `shim ${bundle.namespace}/${bundle.id}: `;
  let partial = '';
  socket.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line !== '') out.write(prefix + line + '\n');
  });
  socket.on('error', () => undefined);
  return { close: () => socket.destroy() };
}
