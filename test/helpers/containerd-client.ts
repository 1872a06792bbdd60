/**
 * A small gRPC client for tsd-containerd in tests, built from the same .proto files the daemon
 * serves (guest/containerd/api): for the calls ctr cannot make (Publish, Apply with chosen
 * mounts, raw Write sequences) and for checking exact status codes.
 */
import { Client, Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { loadApi, type ServiceName } from '../../guest/containerd/api/load-api.js';

export class ContainerdClient {
  readonly #clients = new Map<ServiceName, Client>();

  constructor(readonly address: string, readonly namespace: string | null = 'default') {}

  #client(service: ServiceName): Client {
    let client = this.#clients.get(service);
    if (!client) {
      client = new Client(`unix:${this.address}`, credentials.createInsecure());
      this.#clients.set(service, client);
    }
    return client;
  }

  metadata(extra: Record<string, string> = {}): Metadata {
    const metadata = new Metadata();
    if (this.namespace) metadata.set('containerd-namespace', this.namespace);
    for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
    return metadata;
  }

  /** A unary call; rejects with the ServiceError (code, details). */
  unary<Res = Record<string, unknown>>(service: ServiceName, method: string, request: object, headers: Record<string, string> = {}): Promise<Res> {
    const client = this.#client(service);
    const definition = loadApi().service(service)[method];
    if (!definition) throw new Error(`${service} has no method ${method}`);
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize as (b: Buffer) => Res,
        request,
        this.metadata(headers),
        (error: ServiceError | null, response?: Res) => (error ? reject(error) : resolve(response as Res)),
      );
    });
  }

  /** A bidirectional call: sends all requests, returns the responses (or the status error). */
  bidi<Res = Record<string, unknown>>(service: ServiceName, method: string, requests: object[]): Promise<Res[]> {
    const client = this.#client(service);
    const definition = loadApi().service(service)[method];
    if (!definition) throw new Error(`${service} has no method ${method}`);
    const call = client.makeBidiStreamRequest(definition.path, definition.requestSerialize, definition.responseDeserialize as (b: Buffer) => Res, this.metadata());
    const responses: Res[] = [];
    return new Promise((resolve, reject) => {
      call.on('data', (response: Res) => responses.push(response));
      call.on('error', reject);
      call.on('end', () => resolve(responses));
      for (const request of requests) call.write(request);
      call.end();
    });
  }

  /** A server-streaming call: each response to `onData` until cancelled. */
  stream<Res = Record<string, unknown>>(service: ServiceName, method: string, request: object, onData: (response: Res) => void): { cancel(): void } {
    const client = this.#client(service);
    const definition = loadApi().service(service)[method];
    if (!definition) throw new Error(`${service} has no method ${method}`);
    const call = client.makeServerStreamRequest(definition.path, definition.requestSerialize, definition.responseDeserialize as (b: Buffer) => Res, request, this.metadata());
    call.on('data', onData);
    call.on('error', () => undefined);
    return { cancel: () => call.cancel() };
  }

  close(): void {
    for (const client of this.#clients.values()) client.close();
  }
}
