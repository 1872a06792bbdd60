/**
 * gRPC's framing over HTTP/2 (grpc/doc/PROTOCOL-HTTP2.md): every message is a 5-byte prefix
 * (compressed flag, 32-bit big-endian length) and the message bytes; the status travels as
 * `grpc-status` / `grpc-message` trailers, the message percent-encoded.
 */
import { GrpcCode } from './grpc-codes.js';
import { GrpcStatusError } from './grpc-status.js';

const PREFIX = 5;

/** One length-prefixed message. */
export function frameMessage(message: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(PREFIX + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, PREFIX);
  return framed;
}

/** Cuts a byte stream into messages; chunks may split or join messages anywhere. */
export class MessageReader {
  #pending: Buffer[] = [];
  #size = 0;

  constructor(readonly maxMessage: number) {}

  /** Takes a chunk; returns the messages it completes. Throws on a compressed or oversized message. */
  push(chunk: Buffer): Buffer[] {
    this.#pending.push(chunk);
    this.#size += chunk.length;
    const messages: Buffer[] = [];
    for (;;) {
      if (this.#size < PREFIX) return messages;
      const head = this.#peek(PREFIX);
      if (head[0] !== 0) throw new GrpcStatusError(GrpcCode.UNIMPLEMENTED, 'compressed gRPC messages are not accepted (no grpc-encoding is advertised)');
      const length = head.readUInt32BE(1);
      if (length > this.maxMessage) throw new GrpcStatusError(GrpcCode.RESOURCE_EXHAUSTED, `received message larger than max (${length} vs. ${this.maxMessage})`);
      if (this.#size < PREFIX + length) return messages;
      messages.push(this.#take(PREFIX + length).subarray(PREFIX));
    }
  }

  /** True when no partial message is waiting. */
  get empty(): boolean {
    return this.#size === 0;
  }

  #peek(count: number): Buffer {
    if ((this.#pending[0] as Buffer).length < count) this.#pending = [Buffer.concat(this.#pending)];
    return this.#pending[0] as Buffer;
  }

  #take(count: number): Buffer {
    const joined = this.#peek(count);
    const taken = joined.subarray(0, count);
    const rest = joined.subarray(count);
    this.#pending.shift();
    if (rest.length > 0) this.#pending.unshift(rest);
    this.#size -= count;
    return taken;
  }
}

/** grpc-message's percent-encoding: bytes outside printable ASCII, and '%', as %XX of UTF-8. */
export function encodeStatusMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
