/**
 * Docker's multiplexed stream format (attach, logs and exec without a tty): each frame is an
 * 8-byte header — stream (0 stdin, 1 stdout, 2 stderr, 3 system error), three zero bytes, the
 * payload size as uint32 big-endian — then the payload. Frames may be split across chunks.
 */
export type StdStream = 'stdin' | 'stdout' | 'stderr' | 'system';

const STREAMS: StdStream[] = ['stdin', 'stdout', 'stderr', 'system'];

export interface StdFrame {
  stream: StdStream;
  payload: Buffer;
}

export class StdcopyDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): StdFrame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: StdFrame[] = [];
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const stream = STREAMS[this.pending[0]!];
      if (stream === undefined) throw new Error(`bad stream header: stream type ${this.pending[0]} is not 0-3`);
      frames.push({ stream, payload: this.pending.subarray(8, 8 + size) });
      this.pending = this.pending.subarray(8 + size);
    }
    return frames;
  }

  /** Bytes of a frame that never completed (the connection ended in the middle of one). */
  get leftover(): number {
    return this.pending.length;
  }
}

/** The inverse, for tests and for anything that needs to produce the format. */
export function stdcopyFrame(stream: StdStream, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = STREAMS.indexOf(stream);
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}
