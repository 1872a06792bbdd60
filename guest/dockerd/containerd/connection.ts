/**
 * One gRPC connection to containerd, used by every service client in this folder. Every call
 * carries the namespace header (`containerd-namespace: moby`, as Docker's containerd image store
 * does) and, when given, a lease (`containerd-lease`) that holds what the call creates until the
 * lease is deleted. gRPC failures become TsdErrors through one table (the inverse of
 * guest/containerd/server/grpc-status.ts), so handlers see not-found/already-exists/… as usual.
 */
import { Client, Metadata, credentials, status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { existsSync } from 'node:fs';
import { TsdError, type ErrorCode } from '../../api/errors.js';
import { loadApi, type ServiceName } from '../../containerd/api/load-api.js';

export const DOCKER_NAMESPACE = 'moby';
const RECONNECT_WAIT_MS = 1500;

/** Per-call options: the lease resources are created under. */
export interface CallOptions {
  lease?: string;
}

const ERROR_CODE: Partial<Record<status, ErrorCode>> = {
  [status.NOT_FOUND]: 'not-found',
  [status.ALREADY_EXISTS]: 'already-exists',
  [status.INVALID_ARGUMENT]: 'invalid-argument',
  [status.FAILED_PRECONDITION]: 'conflict',
  [status.UNAVAILABLE]: 'unavailable',
  [status.UNIMPLEMENTED]: 'unsupported',
  [status.OUT_OF_RANGE]: 'invalid-argument',
};

/** A gRPC ServiceError as a TsdError; the message keeps containerd's wording. */
export function fromGrpcError(error: unknown, what: string): TsdError {
  const service = error as Partial<ServiceError>;
  if (typeof service.code !== 'number') return new TsdError('internal', `${what}: ${String(error)}`, { cause: error });
  const code = ERROR_CODE[service.code as status] ?? 'internal';
  const detail = service.details || service.message || 'unknown error';
  if (service.code === status.UNAVAILABLE && /connect|No connection|ENOENT|ECONNREFUSED/i.test(detail)) {
    return new TsdError('unavailable', `containerd is not reachable: ${detail}`, { cause: error });
  }
  return new TsdError(code, detail, { cause: error });
}

export class ContainerdConnection {
  #channel: Client | undefined;
  #closed = false;

  constructor(readonly address: string, readonly namespace: string = DOCKER_NAMESPACE) {}

  /** One HTTP/2 channel for all services (grpc-js routes by the method path), made at the first call, not at dockerd's start. */
  get #client(): Client {
    this.#channel ??= new Client(`unix:${this.address}`, credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      // A restarted containerd is found again within a second (grpc's default backoff grows to 2 min).
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
    });
    // A call after close() fails as it did on a closed channel.
    if (this.#closed) this.#channel.close();
    return this.#channel;
  }

  metadata(options: CallOptions = {}): Metadata {
    const metadata = new Metadata();
    metadata.set('containerd-namespace', this.namespace);
    if (options.lease) metadata.set('containerd-lease', options.lease);
    return metadata;
  }

  #method(service: ServiceName, method: string) {
    const definition = loadApi().service(service)[method];
    if (!definition) throw new TsdError('internal', `${service} has no method ${method}`);
    return definition;
  }

  /**
   * A unary call. When the channel is down (containerd restarting), the call is tried once more,
   * waiting up to RECONNECT_WAIT_MS for the connection, instead of failing during the gap.
   */
  async unary<Req extends object, Res>(service: ServiceName, method: string, request: Req, options: CallOptions = {}): Promise<Res> {
    try {
      return await this.#unaryOnce<Req, Res>(service, method, request, options);
    } catch (error) {
      if ((error as TsdError).code !== 'unavailable' || !/not reachable/.test((error as TsdError).message)) throw error;
      // No socket at all: containerd is not running (not restarting); say so at once.
      if (!existsSync(this.address)) throw error;
      const reconnected = await this.waitReady(RECONNECT_WAIT_MS).then(() => true, () => false);
      if (!reconnected) throw error;
      return await this.#unaryOnce<Req, Res>(service, method, request, options);
    }
  }

  #unaryOnce<Req extends object, Res>(service: ServiceName, method: string, request: Req, options: CallOptions): Promise<Res> {
    const definition = this.#method(service, method);
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize as (bytes: Buffer) => Res,
        request,
        this.metadata(options),
        (error: ServiceError | null, response?: Res) =>
          error ? reject(fromGrpcError(error, `${service}.${method}`)) : resolve(response as Res),
      );
    });
  }

  /** A server-streaming call; the caller iterates it (errors thrown as TsdErrors) or cancels it. */
  serverStream<Req extends object, Res>(service: ServiceName, method: string, request: Req, options: CallOptions = {}): ResponseStream<Res> {
    const definition = this.#method(service, method);
    const call = this.#client.makeServerStreamRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize as (bytes: Buffer) => Res,
      request,
      this.metadata(options),
    );
    return new ResponseStream(call, `${service}.${method}`);
  }

  /** A bidirectional call, raw: content writes drive it request by request. */
  bidi<Req extends object, Res>(service: ServiceName, method: string, options: CallOptions = {}) {
    const definition = this.#method(service, method);
    return this.#client.makeBidiStreamRequest<Req, Res>(
      definition.path,
      definition.requestSerialize as (value: Req) => Buffer,
      definition.responseDeserialize as (bytes: Buffer) => Res,
      this.metadata(options),
    );
  }

  /** Waits until the channel is connected (containerd started), or fails after `timeoutMs`. */
  async waitReady(timeoutMs: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#client.waitForReady(Date.now() + timeoutMs, (error) =>
        error ? reject(new TsdError('unavailable', `containerd at ${this.address} did not answer within ${timeoutMs} ms: ${error.message}`)) : resolve(),
      );
    });
  }

  close(): void {
    this.#closed = true;
    this.#channel?.close();
  }
}

/** The responses of a server-streaming call as an async iterable, with errors as TsdErrors. */
export class ResponseStream<Res> implements AsyncIterable<Res> {
  constructor(private readonly call: ClientReadableStream<Res>, private readonly what: string) {}

  async *[Symbol.asyncIterator](): AsyncIterator<Res> {
    try {
      for await (const response of this.call as AsyncIterable<Res>) yield response;
    } catch (error) {
      if ((error as Partial<ServiceError>).code === status.CANCELLED) return;
      throw fromGrpcError(error, this.what);
    }
  }

  cancel(): void {
    this.call.cancel();
  }
}

/** Reads a whole server stream into an array. */
export async function collect<Res>(stream: AsyncIterable<Res>): Promise<Res[]> {
  const all: Res[] = [];
  for await (const item of stream) all.push(item);
  return all;
}
