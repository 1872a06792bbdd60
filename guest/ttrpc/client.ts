/**
 * A ttrpc client over a unix socket: unary calls multiplexed on one connection, client stream
 * ids odd and increasing. A non-OK status rejects with a TtrpcError (a TsdError with the gRPC
 * code); a closed connection rejects every pending call with UNAVAILABLE "ttrpc: closed".
 */
import { connect, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder, MAX_MESSAGE_LENGTH, MessageType } from './frame.js';
import { fromWireStatus, GrpcCode, TtrpcError } from './status.js';
import { decodeResponse, encodeRequest, type KeyValue } from './wire-messages.js';

export interface CallOptions {
  /** Sent as timeout_nano; the call also fails locally with DEADLINE_EXCEEDED after it. */
  timeoutMs?: number;
  metadata?: KeyValue[];
}

interface Pending {
  resolve(payload: Buffer): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

export class TtrpcClient {
  private readonly pending = new Map<number, Pending>();
  private nextStreamId = 1;
  private closedError: TtrpcError | undefined;
  private readonly closeListeners: Array<() => void> = [];

  private constructor(private readonly socket: Socket) {
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const item of decoder.push(chunk)) {
        const streamId = item.kind === 'frame' ? item.frame.streamId : item.streamId;
        const call = this.pending.get(streamId);
        if (!call) continue;
        this.finish(streamId);
        if (item.kind === 'oversize') {
          call.reject(new TtrpcError(GrpcCode.RESOURCE_EXHAUSTED, `response of ${item.length} bytes exceeds the maximum message size`));
          continue;
        }
        try {
          const response = decodeResponse(item.frame.data);
          if (response.status && response.status.code !== GrpcCode.OK) call.reject(fromWireStatus(response.status));
          else call.resolve(Buffer.from(response.payload));
        } catch (error) {
          call.reject(new TtrpcError(GrpcCode.INTERNAL, `bad ttrpc response: ${(error as Error).message}`));
        }
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.handleClose());
  }

  /** Connects to a unix socket; accepts a plain path or a "unix://" address. */
  static connect(address: string, options: { timeoutMs?: number } = {}): Promise<TtrpcClient> {
    const path = address.startsWith('unix://') ? address.slice('unix://'.length) : address;
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      const timer = options.timeoutMs ? setTimeout(() => socket.destroy(new Error(`connect timed out after ${options.timeoutMs} ms`)), options.timeoutMs) : undefined;
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new TtrpcClient(socket));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new TtrpcError(GrpcCode.UNAVAILABLE, `ttrpc: cannot connect to ${path}: ${error.message}`, { cause: error }));
      });
    });
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Calls service/method with an encoded request; resolves with the encoded response. */
  call(service: string, method: string, payload: Uint8Array, options: CallOptions = {}): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    const streamId = this.nextStreamId;
    this.nextStreamId += 2;
    const timeoutNano = options.timeoutMs ? options.timeoutMs * 1e6 : 0;
    const data = encodeRequest({ service, method, payload, timeoutNano, metadata: options.metadata ?? [] });
    if (data.length > MAX_MESSAGE_LENGTH) {
      return Promise.reject(new TtrpcError(GrpcCode.RESOURCE_EXHAUSTED, `request of ${data.length} bytes exceeds the maximum message size of ${MAX_MESSAGE_LENGTH}`));
    }
    return new Promise<Buffer>((resolve, reject) => {
      const timer = options.timeoutMs
        ? setTimeout(() => {
            this.finish(streamId);
            reject(new TtrpcError(GrpcCode.DEADLINE_EXCEEDED, `${service}/${method}: deadline of ${options.timeoutMs} ms exceeded`));
          }, options.timeoutMs)
        : undefined;
      this.pending.set(streamId, { resolve, reject, timer });
      this.socket.write(encodeFrame(streamId, MessageType.Request, 0, data));
    });
  }

  /** Called once when the connection ends (either side). */
  onClose(listener: () => void): void {
    if (this.closedError) queueMicrotask(listener);
    else this.closeListeners.push(listener);
  }

  private handleClose(): void {
    if (this.closedError) return;
    this.closedError = new TtrpcError(GrpcCode.UNAVAILABLE, 'ttrpc: closed');
    for (const [streamId, call] of this.pending) {
      this.finish(streamId);
      call.reject(this.closedError);
    }
    for (const close of this.closeListeners.splice(0)) close();
  }

  close(): void {
    this.socket.destroy();
  }

  private finish(streamId: number): void {
    const call = this.pending.get(streamId);
    if (call) clearTimeout(call.timer);
    this.pending.delete(streamId);
  }
}
