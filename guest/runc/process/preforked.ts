/**
 * The handshake with the helper that bin/tsd-runc started for this invocation (preforked-env.ts)
 * is the same as with a spawned one (process/sync.ts), run as a plain sequence:
 * while the container is being set up the runtime has nothing to do but wait for the helper's
 * next line, so it reads the (blocking) socket with readSync on the main thread — no
 * child_process, no stream, no thread-pool hop per message. Only the wait for `exit N` of an
 * attached run is asynchronous (fs.read), so that the run verb can forward signals meanwhile.
 * The helper is not our child: its first process sends the container's status itself (plan step
 * `report_exit`); an end of file without it means it was killed, and while it waits only SIGKILL
 * can kill it (it ignores the other signals).
 */
import { close, read, readSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { TsdError } from '../../api/errors.js';
import { encodePlan, type Step } from '../plan/steps.js';
import { helperError, killQuietly, type HelperOptions, type HelperRun } from './helper.js';
import { ABORT, ACK, parseHelperMessage, type HelperMessage } from './sync.js';
import type { PreforkedHelper } from './preforked-env.js';

const NOT_READY = 'container init exited before it was ready (see the runtime log)';

export async function runPreforkedHelper(helper: PreforkedHelper, plan: readonly Step[], options: HelperOptions): Promise<HelperRun> {
  const lines = new LineReader(helper.fd);
  let pid = 0;
  try {
    writeAll(helper.fd, encodePlan([['report_exit'], ...plan]));
    for (;;) {
      const line = lines.nextSync();
      if (line === undefined) throw new TsdError('internal', NOT_READY);
      const message: HelperMessage = parseHelperMessage(line);
      options.debug?.(`helper: ${JSON.stringify(message)}`);
      switch (message.type) {
        case 'pid':
          pid = message.pid;
          break;
        case 'sync':
          try {
            await options.onSync(message.point, pid);
          } catch (error) {
            writeAll(helper.fd, ABORT);
            throw error instanceof TsdError ? error : new TsdError('internal', String((error as Error).message ?? error), { cause: error });
          }
          writeAll(helper.fd, ACK);
          break;
        case 'ready':
          return { pid, exitCode: lines.exitStatus(), release: () => undefined };
        case 'exit':
          throw new TsdError('internal', NOT_READY);
        case 'error':
          throw helperError(message.step, message.errno, message.detail);
      }
    }
  } catch (error) {
    if (pid > 0) killQuietly(pid);
    throw error;
  }
}

function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
}

/** Lines from the helper's socket: synchronously during the set-up, then asynchronously until its end. */
class LineReader {
  private buffered = '';
  private readonly chunk = Buffer.alloc(4096);
  constructor(private readonly fd: number) {}

  /** The next line, or undefined at end of file. */
  nextSync(): string | undefined {
    for (;;) {
      const newline = this.buffered.indexOf('\n');
      if (newline >= 0) return this.take(newline);
      let n: number;
      try {
        n = readSync(this.fd, this.chunk, 0, this.chunk.length, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EINTR' || (error as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        return undefined;
      }
      if (n === 0) return undefined;
      this.buffered += this.chunk.toString('utf8', 0, n);
    }
  }

  /** After `ready`: the container's status from `exit N`, 128+SIGKILL at end of file without it; closes the socket. */
  exitStatus(): Promise<number> {
    return new Promise((resolve) => {
      const done = (status: number) => {
        close(this.fd, () => undefined);
        resolve(status);
      };
      const next = (): void => {
        const newline = this.buffered.indexOf('\n');
        if (newline >= 0) {
          const message = parseHelperMessage(this.take(newline));
          return message.type === 'exit' ? done(message.status) : next();
        }
        read(this.fd, this.chunk, 0, this.chunk.length, null, (error, n) => {
          if (error?.code === 'EINTR' || error?.code === 'EAGAIN') return next();
          if (error || n === 0) return done(128 + (constants.signals.SIGKILL ?? 9));
          this.buffered += this.chunk.toString('utf8', 0, n);
          next();
        });
      };
      next();
    });
  }

  private take(newline: number): string {
    const line = this.buffered.slice(0, newline);
    this.buffered = this.buffered.slice(newline + 1);
    return line;
  }
}
