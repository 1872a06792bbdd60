/**
 * Docker's multiplexed stream format for non-tty attach, exec and logs: each frame is an 8-byte
 * header [stream, 0, 0, 0, size (uint32 big endian)] followed by `size` bytes of that stream.
 * Streams: 0 stdin, 1 stdout, 2 stderr (3 is the systemerr of newer daemons, unused here).
 */
export type StdStream = 0 | 1 | 2;
export const STDIN: StdStream = 0;
export const STDOUT: StdStream = 1;
export const STDERR: StdStream = 2;

const HEADER = 8;

export function frame(stream: StdStream, data: Buffer): Buffer {
  const header = Buffer.alloc(HEADER);
  header[0] = stream;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

/** Incremental decoder: feed bytes, get whole frames (tests and clients of the helpers). */
export class FrameDecoder {
  #pending = Buffer.alloc(0);

  push(chunk: Buffer): Array<{ stream: StdStream; data: Buffer }> {
    this.#pending = Buffer.concat([this.#pending, chunk]);
    const frames: Array<{ stream: StdStream; data: Buffer }> = [];
    while (this.#pending.length >= HEADER) {
      const size = this.#pending.readUInt32BE(4);
      if (this.#pending.length < HEADER + size) break;
      frames.push({ stream: this.#pending[0] as StdStream, data: this.#pending.subarray(HEADER, HEADER + size) });
      this.#pending = this.#pending.subarray(HEADER + size);
    }
    return frames;
  }

  /** Bytes of an incomplete frame left over (non-zero at the end means the stream was cut). */
  get leftover(): number {
    return this.#pending.length;
  }
}
