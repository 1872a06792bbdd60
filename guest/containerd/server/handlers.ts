/**
 * Adapters from typed async functions to grpc-js handlers: every handler gets its CallContext,
 * and every thrown error becomes a gRPC status through the one table in grpc-status.ts.
 */
import type {
  sendUnaryData,
  ServerDuplexStream,
  ServerUnaryCall,
  ServerWritableStream,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { CallContext } from './call-context.js';
import { callContext } from './call-context.js';
import { toServiceError } from './grpc-status.js';

export type Unary<Req, Res> = (request: Req, context: CallContext) => Promise<Res>;
/** A server-streaming method: `send` each response; resolving ends the stream. */
export type ServerStreaming<Req, Res> = (request: Req, context: CallContext, send: (response: Res) => Promise<void>, signal: AbortSignal) => Promise<void>;
export type Bidi<Req, Res> = (requests: AsyncIterable<Req>, context: CallContext, send: (response: Res) => Promise<void>) => Promise<void>;

export function unary<Req, Res>(fn: Unary<Req, Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    Promise.resolve()
      .then(() => fn(call.request, callContext(call.metadata)))
      .then((response) => callback(null, response), (error: unknown) => callback(toServiceError(error)));
  };
}

export function serverStreaming<Req, Res>(fn: ServerStreaming<Req, Res>) {
  return (call: ServerWritableStream<Req, Res>): void => {
    const abort = new AbortController();
    call.on('cancelled', () => abort.abort());
    const send = (response: Res): Promise<void> =>
      new Promise((resolve) => {
        if (call.write(response)) resolve();
        else call.once('drain', () => resolve());
      });
    Promise.resolve()
      .then(() => fn(call.request, callContext(call.metadata), send, abort.signal))
      .then(() => call.end(), (error: unknown) => {
        if (!abort.signal.aborted) call.emit('error', toServiceError(error));
      });
  };
}

export function bidi<Req, Res>(fn: Bidi<Req, Res>) {
  return (call: ServerDuplexStream<Req, Res>): void => {
    const send = (response: Res): Promise<void> =>
      new Promise((resolve) => {
        if (call.write(response)) resolve();
        else call.once('drain', () => resolve());
      });
    Promise.resolve()
      .then(() => fn(messages(call), callContext(call.metadata), send))
      .then(() => call.end(), (error: unknown) => call.emit('error', toServiceError(error)));
  };
}

export type ServiceHandlers = UntypedServiceImplementation;

/**
 * The client's messages, one at a time. Not `for await` over the call itself: leaving that loop
 * early destroys the stream, and a destroyed call can no longer send its status.
 */
async function* messages<Req>(call: ServerDuplexStream<Req, unknown>): AsyncGenerator<Req> {
  const queue: Req[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  call.on('data', (message: Req) => {
    queue.push(message);
    call.pause();
    wake?.();
  });
  const finish = (): void => {
    ended = true;
    wake?.();
  };
  call.on('end', finish);
  call.on('cancelled', finish);
  for (;;) {
    const next = queue.shift();
    if (next !== undefined) {
      yield next;
      call.resume();
      continue;
    }
    if (ended) return;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
}
