/**
 * containerd.services.content.v1.Content over the namespaced content store. Write is containerd's
 * bidirectional ingest protocol: the first message names the ref (and may carry total/expected);
 * each message is STAT (report), WRITE (data at the current offset, or 0 to restart) or COMMIT
 * (verify size and digest, then store); every message gets one response.
 */
import { status } from '@grpc/grpc-js';
import { TsdError } from '../../api/errors.js';
import type { ContentInfo, IngestStatus } from '../content/content-store.js';
import { toTimestamp, type Timestamp } from '../api/timestamps.js';
import type { NamespacedContent, NamespacedWriter } from '../metadata/namespaced-content.js';
import type { EventExchange } from '../server/event-exchange.js';
import { GrpcStatusError } from '../server/grpc-status.js';
import { afterBurst } from '../../lib/memory-reducer.js';
import { bidi, serverStreaming, unary, type ServiceHandlers } from '../server/handlers.js';

const READ_CHUNK = 1024 * 1024;
const LIST_BATCH = 100;

interface InfoMessage {
  digest: string;
  size: number;
  createdAt: Timestamp | null;
  updatedAt: Timestamp | null;
  labels: Record<string, string>;
}

interface StatusMessage {
  startedAt: Timestamp;
  updatedAt: Timestamp;
  ref: string;
  offset: number;
  total: number;
  expected: string;
}

type WriteAction = 'STAT' | 'WRITE' | 'COMMIT';

interface WriteRequest {
  action: WriteAction;
  ref: string;
  total: number;
  expected: string;
  offset: number;
  data: Buffer;
  labels: Record<string, string>;
}

interface WriteResponse {
  action: WriteAction;
  startedAt?: Timestamp;
  updatedAt?: Timestamp;
  offset: number;
  total: number;
  digest: string;
}

export function contentService(content: NamespacedContent, events: EventExchange): ServiceHandlers {
  return {
    Info: unary<{ digest: string }, { info: InfoMessage }>(async (request, context) => ({
      info: toInfo(content.info(context.requireNamespace(), request.digest)),
    })),
    Update: unary<{ info: InfoMessage | null; updateMask: { paths: string[] } | null }, { info: InfoMessage }>(async (request, context) => {
      if (!request.info) throw new TsdError('invalid-argument', 'update needs info');
      const info = await content.update(context.requireNamespace(), request.info.digest, request.info.labels, request.updateMask?.paths ?? []);
      return { info: toInfo(info) };
    }),
    List: serverStreaming<{ filters: string[] }, { info: InfoMessage[] }>(async (request, context, send) => {
      const infos = content.list(context.requireNamespace(), request.filters).map(toInfo);
      for (let i = 0; i < infos.length; i += LIST_BATCH) await send({ info: infos.slice(i, i + LIST_BATCH) });
    }),
    Delete: unary<{ digest: string }, object>(async (request, context) => {
      const ns = context.requireNamespace();
      await content.delete(ns, request.digest);
      events.emit(ns, 'contentDelete', { digest: request.digest });
      return {};
    }),
    Read: serverStreaming<{ digest: string; offset: number; size: number }, { offset: number; data: Buffer }>(async (request, context, send, signal) => {
      const offset = Math.max(0, request.offset);
      const range = request.size > 0 ? { offset, length: request.size } : { offset };
      const stream = await content.read(context.requireNamespace(), request.digest, range);
      let position = offset;
      let pending: Buffer = Buffer.alloc(0);
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (signal.aborted) break;
        pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
        while (pending.length >= READ_CHUNK) {
          await send({ offset: position, data: pending.subarray(0, READ_CHUNK) });
          position += READ_CHUNK;
          pending = pending.subarray(READ_CHUNK);
        }
      }
      if (pending.length > 0 && !signal.aborted) await send({ offset: position, data: pending });
    }),
    Status: unary<{ ref: string }, { status: StatusMessage }>(async (request, context) => ({
      status: toStatus(await content.status(context.requireNamespace(), request.ref)),
    })),
    ListStatuses: unary<{ filters: string[] }, { statuses: StatusMessage[] }>(async (request, context) => ({
      statuses: (await content.listStatuses(context.requireNamespace(), request.filters)).map(toStatus),
    })),
    Abort: unary<{ ref: string }, object>(async (request, context) => {
      await content.abort(context.requireNamespace(), request.ref);
      return {};
    }),
    Write: bidi<WriteRequest, WriteResponse>(async (requests, context, send) => {
      const ns = context.requireNamespace();
      let writer: NamespacedWriter | undefined;
      let total = 0;
      let expected: string | undefined;
      try {
        for await (const request of requests) {
          if (!writer) {
            if (request.ref === '') throw new TsdError('invalid-argument', 'first message of a content write must have a ref');
            total = request.total;
            expected = request.expected || undefined;
            writer = await content.writer(ns, request.ref, { total, ...(expected ? { expected } : {}) }, context.lease);
          }
          if (request.total > 0) total = request.total;
          if (request.expected) expected = request.expected;
          const response = await handleWrite(writer, request, total, expected);
          await send(response);
          if (request.action === 'COMMIT') {
            writer = undefined;
            break;
          }
        }
      } finally {
        await writer?.close();
        afterBurst();
      }
    }),
  };
}

async function handleWrite(writer: NamespacedWriter, request: WriteRequest, total: number, expected: string | undefined): Promise<WriteResponse> {
  const response: WriteResponse = { action: request.action, offset: writer.offset(), total, digest: '' };
  if (request.action === 'STAT') {
    const state = writer.status();
    return { ...response, digest: writer.digest(), startedAt: toTimestamp(state.startedAt), updatedAt: toTimestamp(state.updatedAt) };
  }
  if (request.offset > 0 && request.offset !== writer.offset()) {
    throw new GrpcStatusError(status.OUT_OF_RANGE, `write @${request.offset} must occur at current offset ${writer.offset()}`);
  }
  if (request.offset === 0 && writer.offset() > 0) await writer.truncate(0);
  if (request.data.length > 0) await writer.write(request.data);
  response.offset = writer.offset();
  if (request.action === 'COMMIT') {
    const state = writer.status();
    response.digest = await writer.commit(total, expected, request.labels);
    response.startedAt = toTimestamp(state.startedAt);
    response.updatedAt = toTimestamp(new Date());
  }
  return response;
}

function toInfo(info: ContentInfo): InfoMessage {
  return { digest: info.digest, size: info.size, createdAt: toTimestamp(info.createdAt), updatedAt: toTimestamp(info.updatedAt), labels: info.labels };
}

function toStatus(state: IngestStatus): StatusMessage {
  return {
    startedAt: toTimestamp(state.startedAt),
    updatedAt: toTimestamp(state.updatedAt),
    ref: state.ref,
    offset: state.offset,
    total: state.total,
    expected: state.expected ?? '',
  };
}
