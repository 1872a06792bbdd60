/**
 * A ttrpc server: unary methods only (what the shim API and containerd's events endpoint use).
 * Handlers receive the request payload bytes and return the response bytes; whatever they throw
 * goes back as a google.rpc.Status (status.ts). A deadline sent by the client (timeout_nano)
 * aborts the call's signal and answers DEADLINE_EXCEEDED.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { encodeFrame, Flags, FrameDecoder, MAX_MESSAGE_LENGTH, MessageType, type Frame } from './frame.js';
import { GrpcCode, toWireStatus, TtrpcError, type WireStatus } from './status.js';
import { decodeRequest, encodeResponse, type KeyValue } from './wire-messages.js';

export interface CallContext {
  service: string;
  method: string;
  /** Request metadata, e.g. containerd's namespace under "containerd-namespace-ttrpc". */
  metadata: KeyValue[];
  /** Aborted when the client's deadline passes or the connection closes. */
  signal: AbortSignal;
}

export type UnaryHandler = (payload: Buffer, context: CallContext) => Promise<Uint8Array>;

/** method name -> handler, for one service. */
export type ServiceHandlers = Record<string, UnaryHandler>;

export class TtrpcServer {
  private readonly services = new Map<string, ServiceHandlers>();
  private readonly sockets = new Set<Socket>();
  private listener: Server | undefined;
  private readonly closeListeners: Array<() => void> = [];

  /** Registers (or replaces) the handlers of a service, e.g. "containerd.task.v2.Task". */
  register(service: string, handlers: ServiceHandlers): this {
    this.services.set(service, handlers);
    return this;
  }

  /** Listens on a unix socket path (a stale socket file there is removed first). */
  async listen(path: string): Promise<void> {
    rmSync(path, { force: true });
    const server = createServer((socket) => this.serve(socket));
    this.listener = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /** Serves one already-connected socket (listen() does this for each connection). */
  serve(socket: Socket): void {
    this.sockets.add(socket);
    const decoder = new FrameDecoder();
    const calls = new Set<AbortController>();
    socket.on('data', (chunk: Buffer) => {
      for (const item of decoder.push(chunk)) {
        if (item.kind === 'oversize') {
          const message = `message length ${item.length} exceed maximum message size of ${MAX_MESSAGE_LENGTH}`;
          respond(socket, item.streamId, { code: GrpcCode.RESOURCE_EXHAUSTED, message }, new Uint8Array());
        } else if (item.frame.type === MessageType.Request) {
          void this.dispatch(socket, item.frame, calls);
        }
        // Data frames belong to streaming calls, which this server does not offer: ignored.
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      for (const call of calls) call.abort();
      for (const listener of this.closeListeners) listener();
    });
  }

  /** Connected clients right now. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Called whenever a client connection ends. */
  onConnectionClosed(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const listener = this.listener;
    this.listener = undefined;
    if (listener) await new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  private async dispatch(socket: Socket, frame: Frame, calls: Set<AbortController>): Promise<void> {
    const controller = new AbortController();
    calls.add(controller);
    let timer: NodeJS.Timeout | undefined;
    try {
      const request = decodeRequest(frame.data);
      if (frame.flags & Flags.RemoteOpen) throw new TtrpcError(GrpcCode.UNIMPLEMENTED, `streaming method ${request.method}`);
      const handler = this.lookup(request.service, request.method);
      const context: CallContext = { service: request.service, method: request.method, metadata: request.metadata, signal: controller.signal };
      const call = handler(Buffer.from(request.payload), context);
      const deadline =
        request.timeoutNano > 0
          ? new Promise<never>((_resolve, reject) => {
              timer = setTimeout(() => {
                controller.abort();
                reject(new TtrpcError(GrpcCode.DEADLINE_EXCEEDED, 'context deadline exceeded'));
              }, Math.ceil(request.timeoutNano / 1e6));
            })
          : undefined;
      const payload = await (deadline ? Promise.race([call, deadline]) : call);
      respond(socket, frame.streamId, undefined, payload);
    } catch (error) {
      respond(socket, frame.streamId, toWireStatus(error), new Uint8Array());
    } finally {
      clearTimeout(timer);
      calls.delete(controller);
    }
  }

  private lookup(service: string, method: string): UnaryHandler {
    const handlers = this.services.get(service);
    if (!handlers) throw new TtrpcError(GrpcCode.UNIMPLEMENTED, `service ${service}`);
    const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
    if (!handler) throw new TtrpcError(GrpcCode.UNIMPLEMENTED, `method ${method}`);
    return handler;
  }
}

function respond(socket: Socket, streamId: number, status: WireStatus | undefined, payload: Uint8Array): void {
  if (socket.destroyed) return;
  let data = encodeResponse({ status: status ?? { code: GrpcCode.OK, message: '' }, payload });
  if (data.length > MAX_MESSAGE_LENGTH) {
    const message = `response of ${data.length} bytes exceeds the maximum message size of ${MAX_MESSAGE_LENGTH}`;
    data = encodeResponse({ status: { code: GrpcCode.RESOURCE_EXHAUSTED, message }, payload: new Uint8Array() });
  }
  socket.write(encodeFrame(streamId, MessageType.Response, 0, data));
}
