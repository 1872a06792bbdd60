/**
 * One process's stdio (a container's init or an exec): the FIFOs it uses and dockerd's open ends.
 * Output chunks are emitted as ('data', stream, chunk); 'end' fires once every output FIFO hit
 * EOF, which is when all output has been read.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import type { Stdio } from '../../containerd/tasks.js';
import { makeFifo, openFifoReader, openFifoWriter, type FifoReader } from './fifo.js';
import type { LogStream } from './json-log.js';

export interface StdioRequest {
  /** Create a stdin FIFO (OpenStdin / exec AttachStdin). */
  stdin: boolean;
  terminal: boolean;
}

export function stdioPaths(dir: string, prefix: string, request: StdioRequest): Stdio {
  return {
    stdin: request.stdin ? join(dir, `${prefix}-stdin`) : '',
    stdout: join(dir, `${prefix}-stdout`),
    // With a tty everything comes through stdout, as with Docker.
    stderr: request.terminal ? '' : join(dir, `${prefix}-stderr`),
    terminal: request.terminal,
  };
}

export class ProcessStdio extends EventEmitter {
  readonly #readers: FifoReader[] = [];
  #open = 0;
  #ended = false;
  stdin: Socket | undefined;

  private constructor(readonly paths: Stdio) {
    super();
  }

  /** Makes the FIFOs and opens dockerd's ends (first start). */
  static async create(paths: Stdio): Promise<ProcessStdio> {
    for (const path of [paths.stdin, paths.stdout, paths.stderr]) if (path) await makeFifo(path);
    return ProcessStdio.open(paths, true);
  }

  /** Opens existing FIFOs of a process that is already running (live restore): no keeper needed. */
  static open(paths: Stdio, keep = false): ProcessStdio {
    const io = new ProcessStdio(paths);
    const streams: Array<[string, LogStream]> = [[paths.stdout, 'stdout'], [paths.stderr, 'stderr']];
    for (const [path, name] of streams) {
      if (!path) continue;
      const reader = openFifoReader(path, keep);
      io.#readers.push(reader);
      io.#open++;
      reader.stream.on('data', (chunk: Buffer) => io.emit('data', name, chunk));
      reader.stream.on('close', () => {
        io.#open--;
        if (io.#open === 0 && !io.#ended) {
          io.#ended = true;
          io.emit('end');
        }
      });
    }
    if (paths.stdin) io.stdin = openFifoWriter(paths.stdin);
    return io;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The shim has opened its ends: EOF now means the output is complete. */
  releaseKeepers(): void {
    for (const reader of this.#readers) reader.releaseKeeper();
  }

  closeStdin(): void {
    this.stdin?.end();
    this.stdin?.destroy();
    this.stdin = undefined;
  }

  /** Closes everything dockerd holds (and, with `unlink`, removes the FIFOs). */
  async close(unlink = true): Promise<void> {
    this.releaseKeepers();
    for (const reader of this.#readers) reader.stream.destroy();
    this.closeStdin();
    if (unlink) for (const path of [this.paths.stdin, this.paths.stdout, this.paths.stderr]) if (path) await rm(path, { force: true });
  }
}
