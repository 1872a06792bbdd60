/**
 * containerd's Content service as a `ContentStore` (guest/containerd/content/content-store.ts), so
 * that the shared registry client pulls and pushes through containerd's API exactly as it does
 * into a local store. Writes go over the bidirectional Write stream (STAT, WRITE…, COMMIT), one
 * response per request; `withLease` returns the same store with every write held by a lease.
 */
import { Readable } from 'node:stream';
import { TsdError } from '../../api/errors.js';
import type {
  CommitOptions,
  ContentFilter,
  ContentInfo,
  ContentStore,
  ContentWriter,
  IngestStatus,
  WriterOptions,
} from '../../containerd/content/content-store.js';
import { fromTimestamp, type Timestamp } from '../../containerd/api/timestamps.js';
import { fromGrpcError, type CallOptions, type ContainerdConnection } from './connection.js';

const SERVICE = 'containerd.services.content.v1.Content';
const LEASES = 'containerd.services.leases.v1.Leases';
/** How long a writer waits for another writer of the same ref (a large concurrent download). */
const LOCK_WAIT_MS = 10 * 60_000;

interface InfoMessage {
  digest: string;
  size: number;
  createdAt: Timestamp | null;
  updatedAt: Timestamp | null;
  labels: Record<string, string>;
}

interface StatusMessage {
  startedAt: Timestamp | null;
  updatedAt: Timestamp | null;
  ref: string;
  offset: number;
  total: number;
  expected: string;
}

type WriteAction = 'STAT' | 'WRITE' | 'COMMIT';

interface WriteRequest {
  action: WriteAction;
  ref: string;
  total?: number;
  expected?: string;
  offset?: number;
  data?: Buffer;
  labels?: Record<string, string>;
}

interface WriteResponse {
  action: WriteAction;
  startedAt: Timestamp | null;
  updatedAt: Timestamp | null;
  offset: number;
  total: number;
  digest: string;
}

function toInfo(message: InfoMessage): ContentInfo {
  return {
    digest: message.digest,
    size: Number(message.size),
    createdAt: fromTimestamp(message.createdAt) ?? new Date(0),
    updatedAt: fromTimestamp(message.updatedAt) ?? new Date(0),
    labels: message.labels ?? {},
  };
}

function toStatus(message: StatusMessage): IngestStatus {
  return {
    ref: message.ref,
    offset: Number(message.offset),
    total: Number(message.total),
    expected: message.expected || undefined,
    startedAt: fromTimestamp(message.startedAt) ?? new Date(0),
    updatedAt: fromTimestamp(message.updatedAt) ?? new Date(0),
  };
}

export class RemoteContentStore implements ContentStore {
  constructor(private readonly connection: ContainerdConnection, private readonly options: CallOptions = {}) {}

  /** The same store, with writes held by `lease` until it is deleted. */
  withLease(lease: string): RemoteContentStore {
    return new RemoteContentStore(this.connection, { ...this.options, lease });
  }

  async info(digest: string): Promise<ContentInfo> {
    const response = await this.connection.unary<object, { info: InfoMessage }>(SERVICE, 'Info', { digest }, this.options);
    return toInfo(response.info);
  }

  async update(digest: string, labels: Record<string, string>, fieldpaths?: string[]): Promise<ContentInfo> {
    const paths = fieldpaths ?? Object.keys(labels).map((key) => `labels.${key}`);
    const response = await this.connection.unary<object, { info: InfoMessage }>(
      SERVICE, 'Update', { info: { digest, labels }, updateMask: { paths } }, this.options,
    );
    return toInfo(response.info);
  }

  async walk(visit: (info: ContentInfo) => Promise<void> | void, ...filters: ContentFilter[]): Promise<void> {
    const remote = filters.filter((f): f is string => typeof f === 'string');
    const local = filters.filter((f): f is (info: ContentInfo) => boolean => typeof f === 'function');
    const stream = this.connection.serverStream<object, { info: InfoMessage[] }>(SERVICE, 'List', { filters: remote }, this.options);
    for await (const batch of stream) {
      for (const message of batch.info) {
        const info = toInfo(message);
        if (local.length === 0 || local.some((predicate) => predicate(info))) await visit(info);
      }
    }
  }

  async list(...filters: ContentFilter[]): Promise<ContentInfo[]> {
    const all: ContentInfo[] = [];
    await this.walk((info) => void all.push(info), ...filters);
    return all;
  }

  async delete(digest: string): Promise<void> {
    await this.connection.unary(SERVICE, 'Delete', { digest }, this.options);
  }

  /**
   * Whether the blob exists. Under a lease the blob is added to the lease first and then looked
   * up, so an answer of true means it is held: nothing can collect it between the two steps.
   */
  async has(digest: string): Promise<boolean> {
    await this.#hold(digest);
    try {
      await this.info(digest);
      return true;
    } catch (error) {
      if (error instanceof TsdError && error.code === 'not-found') return false;
      throw error;
    }
  }

  async #hold(digest: string): Promise<void> {
    if (!this.options.lease) return;
    await this.connection.unary(LEASES, 'AddResource', { id: this.options.lease, resource: { id: digest, type: 'content' } });
  }

  async read(digest: string, range: { offset?: number; length?: number } = {}): Promise<Readable> {
    // Stat first so that a missing blob fails here, not in the middle of a consumer's pipeline.
    await this.info(digest);
    const stream = this.connection.serverStream<object, { offset: number; data: Buffer }>(
      SERVICE, 'Read', { digest, offset: range.offset ?? 0, size: range.length ?? 0 }, this.options,
    );
    return Readable.from((async function* () {
      for await (const chunk of stream) yield chunk.data;
    })());
  }

  async readAll(digest: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.read(digest)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * Opens (or resumes) the ingest `ref`. A ref locked by another writer (a concurrent pull of the
   * same blob) is waited for, with backoff, as containerd's own content.OpenWriter does; by then
   * the blob usually exists, which the returned writer reports at commit.
   */
  async writer(ref: string, options: WriterOptions = {}): Promise<ContentWriter> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      try {
        return await this.#openWriter(ref, options);
      } catch (error) {
        const locked = error instanceof TsdError && error.code === 'unavailable' && /locked/.test(error.message);
        if (!locked || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async #openWriter(ref: string, options: WriterOptions): Promise<ContentWriter> {
    // Held before opening: if containerd answers that the blob exists, it stays.
    if (options.expected) await this.#hold(options.expected);
    const writer = new RemoteWriter(this.connection, ref, options, this.options);
    try {
      await writer.open();
    } catch (error) {
      // containerd refuses to open a writer for an expected digest it already has (a concurrent
      // pull committed it first). The ContentStore contract reports that at commit; keep it.
      await writer.close();
      if (error instanceof TsdError && error.code === 'already-exists' && options.expected) return new ExistingBlobWriter(ref, options);
      throw error;
    }
    return writer;
  }

  async status(ref: string): Promise<IngestStatus> {
    const response = await this.connection.unary<object, { status: StatusMessage }>(SERVICE, 'Status', { ref }, this.options);
    return toStatus(response.status);
  }

  async listStatuses(filter?: (status: IngestStatus) => boolean): Promise<IngestStatus[]> {
    const response = await this.connection.unary<object, { statuses: StatusMessage[] }>(SERVICE, 'ListStatuses', { filters: [] }, this.options);
    const all = response.statuses.map(toStatus);
    return filter ? all.filter(filter) : all;
  }

  async abort(ref: string): Promise<void> {
    await this.connection.unary(SERVICE, 'Abort', { ref }, this.options);
  }
}

/**
 * One ingest over the Write stream. Requests are answered in order, so a FIFO of waiters pairs
 * each response with its request. The server locks the ref for as long as the stream is open.
 */
class RemoteWriter implements ContentWriter {
  readonly #call;
  readonly #waiters: Array<{ resolve(response: WriteResponse): void; reject(error: Error): void }> = [];
  #failure: Error | undefined;
  #offset = 0;
  #last: WriteResponse | undefined;
  #closed = false;

  constructor(connection: ContainerdConnection, readonly ref: string, private readonly options: WriterOptions, callOptions: CallOptions) {
    this.#call = connection.bidi<WriteRequest, WriteResponse>(SERVICE, 'Write', callOptions);
    this.#call.on('data', (response: WriteResponse) => this.#waiters.shift()?.resolve(response));
    this.#call.on('error', (error: Error) => {
      this.#failure = fromGrpcError(error, `content write ${ref}`);
      for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure);
    });
    this.#call.on('end', () => {
      this.#failure ??= new TsdError('unavailable', `content write ${ref}: stream ended`);
      for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure);
    });
  }

  #send(request: Omit<WriteRequest, 'ref'>): Promise<WriteResponse> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#call.write({ ...request, ref: this.ref });
    }).then((response) => {
      this.#last = response as WriteResponse;
      return response as WriteResponse;
    });
  }

  async open(): Promise<void> {
    const response = await this.#send({ action: 'STAT', total: this.options.total ?? 0, expected: this.options.expected ?? '' });
    this.#offset = Number(response.offset);
  }

  offset(): number {
    return this.#offset;
  }

  digest(): string {
    return this.#last?.digest ?? '';
  }

  async write(data: Buffer, offset = this.#offset): Promise<void> {
    const response = await this.#send({
      action: 'WRITE', offset, data, total: this.options.total ?? 0, expected: this.options.expected ?? '',
    });
    this.#offset = Number(response.offset);
  }

  async truncate(size: 0): Promise<void> {
    // containerd truncates when the next write starts at offset 0 (as its own remote writer does).
    this.#offset = size;
  }

  async commit(size: number, expected: string | undefined, options: CommitOptions = {}): Promise<void> {
    await this.#send({ action: 'COMMIT', offset: this.#offset, total: size, expected: expected ?? this.options.expected ?? '', labels: options.labels ?? {} });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#call.end();
  }

  status(): IngestStatus {
    const last = this.#last;
    return {
      ref: this.ref,
      offset: this.#offset,
      total: this.options.total ?? Number(last?.total ?? 0),
      expected: this.options.expected,
      startedAt: fromTimestamp(last?.startedAt) ?? new Date(0),
      updatedAt: fromTimestamp(last?.updatedAt) ?? new Date(0),
    };
  }
}

/** The writer for a blob containerd already has: writes are dropped, commit says already-exists. */
class ExistingBlobWriter implements ContentWriter {
  #offset: number;
  readonly #startedAt = new Date();

  constructor(readonly ref: string, private readonly options: WriterOptions) {
    this.#offset = options.total ?? 0;
  }

  offset(): number {
    return this.#offset;
  }

  digest(): string {
    return this.options.expected ?? '';
  }

  async write(data: Buffer, offset = this.#offset): Promise<void> {
    this.#offset = offset + data.length;
  }

  async truncate(size: 0): Promise<void> {
    this.#offset = size;
  }

  async commit(): Promise<void> {
    throw new TsdError('already-exists', `content ${this.options.expected}: already exists`);
  }

  async close(): Promise<void> {}

  status(): IngestStatus {
    return { ref: this.ref, offset: this.#offset, total: this.options.total ?? 0, expected: this.options.expected, startedAt: this.#startedAt, updatedAt: new Date() };
  }
}
