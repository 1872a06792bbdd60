/**
 * One gRPC call on an HTTP/2 stream: request messages as they arrive (the stream is paused while
 * unread messages wait, so a fast client cannot fill our memory), responses out with flow
 * control, and the status at the end — as trailers after the response headers, or as a
 * trailers-only response when nothing was sent. A client that resets the stream cancels the call
 * (`signal`). The `grpc-timeout` header is not enforced: containerd's clients cancel instead.
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { GrpcCode } from './grpc-codes.js';
import { GrpcStatusError, type CallStatus } from './grpc-status.js';
import { encodeStatusMessage, frameMessage, MessageReader } from './grpc-wire.js';

/** How the call's messages become objects and back (the method's codecs). */
export interface CallCodec {
  decode(bytes: Buffer): unknown;
  encode(value: object): Buffer;
}

export class GrpcCall {
  readonly #stream: ServerHttp2Stream;
  readonly #codec: CallCodec;
  readonly #reader: MessageReader;
  readonly #abort = new AbortController();
  readonly #queue: Buffer[] = [];
  #ended = false;
  #failure: unknown;
  #wake: (() => void) | undefined;
  #headersSent = false;
  #finished = false;

  constructor(stream: ServerHttp2Stream, readonly headers: IncomingHttpHeaders, codec: CallCodec, maxMessage: number) {
    this.#stream = stream;
    this.#codec = codec;
    this.#reader = new MessageReader(maxMessage);
    stream.on('data', (chunk: Buffer) => this.#receive(chunk));
    stream.on('end', () => {
      if (!this.#reader.empty) this.#failure ??= new GrpcStatusError(GrpcCode.INTERNAL, 'request ended inside a message');
      this.#ended = true;
      this.#wake?.();
    });
    stream.on('close', () => {
      if (!this.#finished) this.#abort.abort();
      this.#ended = true;
      this.#wake?.();
    });
  }

  /** Aborted when the client cancels or goes away before the call finished. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** The one request message of a unary or server-streaming call. */
  async request(): Promise<unknown> {
    let request: unknown;
    let count = 0;
    for await (const message of this.requests()) {
      request = message;
      count++;
    }
    if (count !== 1) throw new GrpcStatusError(GrpcCode.INTERNAL, `expected one request message, got ${count}`);
    return request;
  }

  /** The request messages of a client- or bidi-streaming call, decoded, one at a time. */
  async *requests(): AsyncGenerator<unknown> {
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure;
      const next = this.#queue.shift();
      if (next !== undefined) {
        if (this.#queue.length === 0) this.#stream.resume();
        yield this.#codec.decode(next);
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  /** Sends one response; resolves when the stream can take more (or is gone). */
  send(response: object): Promise<void> {
    const stream = this.#stream;
    if (this.#finished || stream.closed || stream.destroyed) return Promise.resolve();
    if (!this.#headersSent) {
      this.#headersSent = true;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    }
    if (stream.write(frameMessage(this.#codec.encode(response)))) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        stream.off('drain', done);
        stream.off('close', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
    });
  }

  /** Ends the call with its status; later calls do nothing. */
  finish(status: CallStatus): void {
    if (this.#finished) return;
    this.#finished = true;
    const stream = this.#stream;
    // Whatever the client still sends is read and dropped, so the stream can close.
    this.#queue.length = 0;
    stream.removeAllListeners('data');
    stream.resume();
    if (stream.closed || stream.destroyed) return;
    const trailers: Record<string, string> = { 'grpc-status': String(status.code) };
    if (status.details) trailers['grpc-message'] = encodeStatusMessage(status.details);
    if (!this.#headersSent) {
      this.#headersSent = true;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...trailers }, { endStream: true });
      return;
    }
    stream.once('wantTrailers', () => stream.sendTrailers(trailers));
    stream.end();
  }

  #receive(chunk: Buffer): void {
    try {
      this.#queue.push(...this.#reader.push(chunk));
    } catch (error) {
      this.#failure ??= error;
    }
    if (this.#queue.length > 0 || this.#failure !== undefined) this.#stream.pause();
    this.#wake?.();
  }
}
