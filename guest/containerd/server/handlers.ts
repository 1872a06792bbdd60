/**
 * Adapters from typed async functions to method handlers of grpc-server.ts: every handler gets its
 * CallContext, and every thrown error becomes a gRPC status through the one table in
 * grpc-status.ts (the server ends the call with it).
 */
import type { CallContext } from './call-context.js';
import { callContext } from './call-context.js';
import type { GrpcCall } from './grpc-call.js';

export type Unary<Req, Res> = (request: Req, context: CallContext) => Promise<Res>;
/** A server-streaming method: `send` each response; resolving ends the stream. */
export type ServerStreaming<Req, Res> = (request: Req, context: CallContext, send: (response: Res) => Promise<void>, signal: AbortSignal) => Promise<void>;
export type Bidi<Req, Res> = (requests: AsyncIterable<Req>, context: CallContext, send: (response: Res) => Promise<void>) => Promise<void>;

/** Serves one call; resolving ends it with OK, rejecting with the error's status. */
export type MethodHandler = (call: GrpcCall) => Promise<void>;
/** A service's handlers by method name ("Version") or its camelCase ("version"). */
export type ServiceHandlers = Record<string, MethodHandler>;

export function unary<Req, Res>(fn: Unary<Req, Res>): MethodHandler {
  return async (call) => {
    const request = (await call.request()) as Req;
    const response = await fn(request, callContext(call.headers));
    await call.send(response as object);
  };
}

export function serverStreaming<Req, Res>(fn: ServerStreaming<Req, Res>): MethodHandler {
  return async (call) => {
    const request = (await call.request()) as Req;
    await fn(request, callContext(call.headers), (response) => call.send(response as object), call.signal);
  };
}

export function bidi<Req, Res>(fn: Bidi<Req, Res>): MethodHandler {
  return async (call) => {
    await fn(call.requests() as AsyncIterable<Req>, callContext(call.headers), (response) => call.send(response as object));
  };
}
