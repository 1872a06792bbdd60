/**
 * The receiving end of runc's --console-socket: a unix socket the container's init connects to
 * and sends its pty master over (SCM_RIGHTS). The runtime sends it before `create`/`exec`
 * returns, so receive() is called after the runtime succeeded and finds it queued.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsdError } from '../api/errors.js';
import { closeFd, listenUnix, receiveFd, tryAccept } from './native.js';

let counter = 0;

export class ConsoleSocket {
  private constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  static create(): ConsoleSocket {
    const path = join(tmpdir(), `tsd-shim-pty-${process.pid}-${++counter}.sock`);
    rmSync(path, { force: true });
    return new ConsoleSocket(path, listenUnix(path));
  }

  /**
   * The pty master fd (close-on-exec). The runtime connected and sent it before it returned, so
   * it is normally waiting; everything is non-blocking all the same (a shim serves many tasks and
   * must never block), with a short bounded wait.
   */
  async receive(): Promise<number> {
    const deadline = Date.now() + 5000;
    let connection: number | undefined;
    try {
      for (;;) {
        connection ??= tryAccept(this.fd);
        const received = connection === undefined ? undefined : receiveFd(connection);
        if (received) return received.fd;
        if (Date.now() > deadline) throw new TsdError('internal', 'the runtime did not send a terminal to the console socket');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      if (connection !== undefined) closeFd(connection);
    }
  }

  close(): void {
    closeFd(this.fd);
    rmSync(this.path, { force: true });
  }
}
