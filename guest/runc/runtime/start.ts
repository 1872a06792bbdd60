/**
 * `start`: opens the exec fifo for reading, which releases the container's init (blocked in
 * open(O_WRONLY) inside the helper), reads its one byte, removes the fifo, runs poststart hooks.
 */
import { closeSync, constants, openSync, readSync, rmSync } from 'node:fs';
import { TsdError } from '../../api/errors.js';
import type { Context } from '../cli/context.js';
import { stateJson } from '../state/record.js';
import { isAlive } from '../state/status.js';
import type { Container } from './container.js';
import { runHooks } from './hooks.js';

export async function startContainer(ctx: Context, container: Container): Promise<void> {
  const { record } = container;
  if (container.status === 'stopped') throw new TsdError('conflict', 'cannot start a container that has stopped');
  if (container.status !== 'created') throw new TsdError('conflict', 'cannot start an already running container');
  const fifo = ctx.store.fifoPath(record.id);
  // O_NONBLOCK: opening never waits; the read below waits for the init's byte (or its death).
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
      if (readByte(fd)) break;
      if (!isAlive(record)) {
        // A short-lived process (/bin/true) may write its byte, exec and exit between the read
        // and this check: the byte stays in the fifo, so read once more before failing.
        if (readByte(fd)) break;
        throw new TsdError('internal', 'container init exited before it could be started (see the runtime log)');
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  } finally {
    closeSync(fd);
  }
  rmSync(fifo, { force: true });
  record.started = true;
  ctx.store.save(record);
  await runPoststart(ctx, container);
}

/** One byte from the non-blocking exec fifo: true when the init wrote it. */
function readByte(fd: number): boolean {
  try {
    return readSync(fd, Buffer.alloc(1), 0, 1, null) === 1;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    return false;
  }
}

export async function runPoststart(ctx: Context, container: Container): Promise<void> {
  try {
    await runHooks(container.record.spec, 'poststart', stateJson(container.record, 'running'));
  } catch (error) {
    ctx.log.warn((error as Error).message);
  }
}
