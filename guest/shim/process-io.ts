/**
 * A process's stdio. containerd names FIFOs (or nothing); the container never sees them: its
 * stdio are pipes owned by the shim (or a pty whose master the shim holds), and the shim copies
 * between those and the FIFOs. Output FIFOs are opened O_RDWR, so the shim is always a reader and
 * a writer of each: when ctr or dockerd goes away the container gets no EPIPE/SIGPIPE (output
 * waits in the FIFO, then backpressure), and a new reader can reopen the same FIFOs and continue.
 * The stdin FIFO is only read (like containerd's shims), so the client closing it is the
 * container's end of input.
 *
 * Life: open() → runtimeStdio() handed to `runc create|exec` → runtimeStarted() closes the
 * container's ends in the shim → attachConsole() for a terminal → done() when output is copied.
 */
import { constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import tty from 'node:tty';
import type { Readable, Writable } from 'node:stream';
import { setWindowSize } from '../sys/pty.js';
import { closeFd, pipe } from './native.js';
import { log } from './shim-log.js';

export interface StdioPaths {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

type Slot = number | 'ignore';

export class ProcessIo {
  private readonly childEnds: number[] = [];
  private stdio: [Slot, Slot, Slot] = ['ignore', 'ignore', 'ignore'];
  private containerStdin: Writable | undefined;
  private stdin: StdinFifo | undefined;
  private master: tty.ReadStream | undefined;
  private masterFd: number | undefined;
  private readonly copies: Array<Promise<void>> = [];
  /** Output streams (pipe read ends, FIFO writers), destroyed by close() if still open. */
  private readonly outputs: Socket[] = [];

  private constructor(readonly paths: StdioPaths) {}

  static open(paths: StdioPaths): ProcessIo {
    const io = new ProcessIo(paths);
    if (paths.stdin) io.stdin = new StdinFifo(paths.stdin);
    if (paths.terminal) return io; // the pty arrives through the console socket
    if (paths.stdin) {
      const [read, write] = pipe();
      io.stdio[0] = read;
      io.childEnds.push(read);
      const containerStdin = pipeStream(write, 'write');
      io.containerStdin = containerStdin;
      containerStdin.on('error', () => undefined); // the container closed its stdin
      io.stdin!.pipeTo(containerStdin, true);
    }
    const outputs: Array<[1 | 2, string]> = [[1, paths.stdout], [2, paths.stderr]];
    for (const [slot, path] of outputs) {
      if (!path) continue;
      const [read, write] = pipe();
      io.stdio[slot] = write;
      io.childEnds.push(write);
      io.copies.push(copyToFifo(pipeStream(read, 'read'), path, io.outputs));
    }
    return io;
  }

  /** The stdio to give the runtime process (the container inherits it). */
  runtimeStdio(): [Slot, Slot, Slot] {
    return [...this.stdio];
  }

  /** The runtime has handed the pipes to the container: drop the shim's copies of its ends. */
  runtimeStarted(): void {
    for (const fd of this.childEnds.splice(0)) closeFd(fd);
  }

  /** A terminal: the pty master received from the console socket. */
  attachConsole(masterFd: number): void {
    this.masterFd = masterFd;
    const master = new tty.ReadStream(masterFd);
    this.master = master;
    master.on('error', () => master.push(null)); // EIO once the last slave holder is gone: end of output
    master.once('close', () => (this.masterFd = undefined)); // a late resize must not hit a reused fd number
    this.stdin?.pipeTo(master as unknown as Writable, false);
    if (this.paths.stdout) this.copies.push(copyToFifo(master, this.paths.stdout, this.outputs));
  }

  resize(width: number, height: number): void {
    if (this.masterFd === undefined) return;
    setWindowSize(this.masterFd, { cols: width, rows: height });
  }

  /** CloseIO: the client has no more input. */
  closeStdin(): void {
    this.stdin?.close();
    this.stdin = undefined;
    this.containerStdin?.end();
  }

  /** Resolves when all output has been copied to the FIFOs (the container closed its ends). */
  done(): Promise<void> {
    return Promise.all(this.copies).then(() => undefined);
  }

  close(): void {
    this.runtimeStarted();
    this.stdin?.close();
    this.containerStdin?.destroy();
    this.master?.destroy();
    for (const stream of this.outputs.splice(0)) stream.destroy();
  }
}

/**
 * The stdin FIFO, opened O_RDONLY|O_NONBLOCK (never blocks). Reading is driven by epoll, and
 * Linux reports a FIFO's hang-up to a reader only after a writer has come and gone since that
 * reader opened it: so nothing is read before the client opens its end, and its close is EOF.
 */
class StdinFifo {
  private readonly socket: Socket;

  constructor(path: string) {
    this.socket = pipeStream(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK), 'read');
    this.socket.on('error', (error) => log('warn', 'stdin fifo error', { path, error: error.message }));
  }

  pipeTo(stream: Writable, end: boolean): void {
    this.socket.pipe(stream, { end });
  }

  close(): void {
    this.socket.unpipe();
    this.socket.destroy();
  }
}

function pipeStream(fd: number, mode: 'read' | 'write'): Socket {
  return new Socket({ fd, readable: mode === 'read', writable: mode === 'write' });
}

/** O_RDWR|O_NONBLOCK: never blocks on open, never EOF/EPIPE because the shim holds both ends. */
function openFifo(path: string, mode: 'read' | 'write'): Socket {
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  const socket = pipeStream(fd, mode);
  socket.on('error', (error) => log('warn', 'fifo error', { path, error: error.message }));
  return socket;
}

function copyToFifo(source: Readable, path: string, streams: Socket[]): Promise<void> {
  if (source instanceof Socket) streams.push(source);
  return new Promise((resolve) => {
    let fifo: Socket;
    try {
      fifo = openFifo(path, 'write');
    } catch (error) {
      log('warn', 'cannot open output fifo; output is dropped', { path, error: (error as Error).message });
      source.resume();
      source.once('end', () => resolve());
      return;
    }
    streams.push(fifo);
    source.pipe(fifo);
    source.once('end', () => resolve());
    source.once('close', () => resolve());
  });
}
