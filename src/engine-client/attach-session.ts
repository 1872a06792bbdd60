/**
 * A hijacked attach/exec stream joined to the user's terminal. Without a tty the output is
 * multiplexed (stdcopy) and split to stdout and stderr; with one it is raw, the local terminal
 * goes to raw mode and its size follows the window (SIGWINCH → resize). The end of stdin
 * half-closes the connection so the container sees EOF while its output keeps coming.
 */
import type { Socket } from 'node:net';
import { StdcopyDemuxer } from './stdcopy.js';

export interface Stdio {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export interface AttachOptions {
  tty: boolean;
  /** Send the user's stdin into the stream. */
  stdin: boolean;
  /** Called with the terminal size at start and on every change (tty only). */
  resize?: (size: { rows: number; cols: number }) => void;
}

export interface AttachSession {
  /** Resolves when the engine ends the output (the process exited or detached). */
  done: Promise<void>;
  /** Sends the current terminal size (call after the process started). */
  sendSize(): void;
  /** Restores the terminal; idempotent. */
  close(): void;
}

export function attachToTerminal(socket: Socket, stdio: Stdio, options: AttachOptions): AttachSession {
  const raw = options.tty && options.stdin && stdio.stdin.isTTY === true;
  if (raw) stdio.stdin.setRawMode(true);
  const size = () => ({ rows: stdio.stdout.rows || 24, cols: stdio.stdout.columns || 80 });
  const sendSize = () => {
    if (options.tty && stdio.stdout.isTTY === true) options.resize?.(size());
  };
  stdio.stdout.on('resize', sendSize); // Node raises it on SIGWINCH

  const done = new Promise<void>((resolve) => {
    if (options.tty) {
      socket.on('data', (chunk: Buffer) => stdio.stdout.write(chunk));
    } else {
      const demux = new StdcopyDemuxer();
      socket.on('data', (chunk: Buffer) => {
        for (const frame of demux.push(chunk)) (frame.stream === 'stderr' || frame.stream === 'system' ? stdio.stderr : stdio.stdout).write(frame.payload);
      });
    }
    socket.once('end', () => resolve());
    socket.once('close', () => resolve());
    socket.on('error', () => resolve());
  });

  if (options.stdin) {
    stdio.stdin.on('data', (chunk: Buffer) => {
      if (!socket.destroyed && socket.writable) socket.write(chunk);
    });
    stdio.stdin.once('end', () => {
      if (!socket.destroyed && socket.writable) socket.end(); // half-close: EOF to the process
    });
    stdio.stdin.resume();
  }

  let closed = false;
  return {
    done,
    sendSize,
    close: () => {
      if (closed) return;
      closed = true;
      stdio.stdout.off('resize', sendSize);
      if (raw) stdio.stdin.setRawMode(false);
      stdio.stdin.pause();
      socket.destroy();
    },
  };
}
