/**
 * Writing container output to a client: stdcopy frames without a tty, raw bytes with one, and
 * Docker's content types for each (API ≥ 1.42 names the multiplexed type).
 */
import type { Writable } from 'node:stream';
import { frame, STDERR, STDOUT } from '../../http/stdcopy.js';
import { MULTIPLEXED_STREAM, RAW_STREAM } from '../../http/hijack.js';
import type { ApiVersion } from '../../api-version.js';

export function outputContentType(tty: boolean, version: ApiVersion): string {
  return tty || version.minor < 42 ? RAW_STREAM : MULTIPLEXED_STREAM;
}

export function writeOutput(target: Writable, tty: boolean, stream: 'stdout' | 'stderr', chunk: Buffer): boolean {
  if (target.destroyed || target.writableEnded) return false;
  return target.write(tty ? chunk : frame(stream === 'stderr' ? STDERR : STDOUT, chunk));
}

const BATCH = 64 * 1024;
const HEADER = 8;

/**
 * Output for many small entries (logs, attach's replay): frames concatenated into ~64 KiB buffers,
 * each written once, waiting for 'drain' when the client is slower than the log. `gone` turns
 * true when the client closed the connection, so readers stop early.
 */
export class OutputBatcher {
  #buffer = Buffer.allocUnsafe(BATCH);
  #length = 0;
  #gone = false;

  constructor(readonly target: Writable, readonly tty: boolean) {
    const leave = (): void => void (this.#gone = true);
    target.once('close', leave);
    target.once('error', leave);
  }

  get gone(): boolean {
    return this.#gone || this.target.destroyed || this.target.writableEnded;
  }

  /** Adds one entry's text; `flush()` once the buffer is past its size. */
  add(stream: 'stdout' | 'stderr', text: string): void {
    const size = Buffer.byteLength(text);
    const header = this.tty ? 0 : HEADER;
    this.#reserve(header + size);
    if (header > 0) {
      this.#buffer[this.#length] = stream === 'stderr' ? STDERR : STDOUT;
      this.#buffer.fill(0, this.#length + 1, this.#length + 4);
      this.#buffer.writeUInt32BE(size, this.#length + 4);
    }
    this.#buffer.write(text, this.#length + header, 'utf8');
    this.#length += header + size;
  }

  get full(): boolean {
    return this.#length >= BATCH;
  }

  /** Writes what was added; resolves when the client can take more (false if it went away). */
  async flush(): Promise<boolean> {
    if (this.gone) return false;
    if (this.#length === 0) return true;
    const chunk = this.#buffer.subarray(0, this.#length);
    this.#buffer = Buffer.allocUnsafe(BATCH);
    this.#length = 0;
    if (this.target.write(chunk)) return true;
    if (this.gone) return false;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.target.off('drain', done);
        this.target.off('close', done);
        resolve();
      };
      this.target.on('drain', done);
      this.target.on('close', done);
    });
    return !this.gone;
  }

  #reserve(bytes: number): void {
    if (this.#length + bytes <= this.#buffer.length) return;
    // The buffer keeps what was added: grow it (one flush later it is back to its size).
    const bigger = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + bytes));
    this.#buffer.copy(bigger, 0, 0, this.#length);
    this.#buffer = bigger;
  }
}
