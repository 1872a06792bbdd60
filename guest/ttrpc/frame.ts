/**
 * ttrpc framing: every message is a 10-byte header (data length u32 BE, stream id u32 BE,
 * type u8, flags u8) followed by the data. Data longer than 4 MiB is rejected: the decoder skips
 * its bytes and reports it, so the connection stays usable and the peer gets a status back.
 */
export const HEADER_LENGTH = 10;
export const MAX_MESSAGE_LENGTH = 4 << 20;

export const MessageType = { Request: 0x1, Response: 0x2, Data: 0x3 } as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const Flags = { RemoteClosed: 0x1, RemoteOpen: 0x2, NoData: 0x4 } as const;

export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  data: Buffer;
}

/** What the decoder yields: a whole frame, or the header of one whose data was too long (skipped). */
export type Decoded = { kind: 'frame'; frame: Frame } | { kind: 'oversize'; streamId: number; type: number; length: number };

export function encodeFrame(streamId: number, type: MessageType, flags: number, data: Uint8Array): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt32BE(data.length, 0);
  header.writeUInt32BE(streamId >>> 0, 4);
  header.writeUInt8(type, 8);
  header.writeUInt8(flags, 9);
  return Buffer.concat([header, data]);
}

/** Incremental decoder: push socket chunks in any sizes, get whole frames out. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes of an oversized frame still to drop. */
  private skipping = 0;

  push(chunk: Buffer): Decoded[] {
    const out: Decoded[] = [];
    if (this.skipping > 0) {
      const dropped = Math.min(this.skipping, chunk.length);
      this.skipping -= dropped;
      chunk = chunk.subarray(dropped);
    }
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    for (;;) {
      if (this.skipping > 0 || this.buffered < HEADER_LENGTH) return out;
      const header = this.peek(HEADER_LENGTH);
      const length = header.readUInt32BE(0);
      const streamId = header.readUInt32BE(4);
      const type = header.readUInt8(8);
      const flags = header.readUInt8(9);
      if (length > MAX_MESSAGE_LENGTH) {
        this.take(HEADER_LENGTH);
        const dropped = Math.min(length, this.buffered);
        this.take(dropped);
        this.skipping = length - dropped;
        out.push({ kind: 'oversize', streamId, type, length });
        continue;
      }
      if (this.buffered < HEADER_LENGTH + length) return out;
      this.take(HEADER_LENGTH);
      out.push({ kind: 'frame', frame: { streamId, type, flags, data: this.take(length) } });
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0]!;
    const taken = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return taken;
  }
}
