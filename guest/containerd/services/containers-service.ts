/**
 * containerd.services.containers.v1.Containers over the container store, publishing
 * /containers/{create,update,delete}. ListStream sends one container per message.
 */
import { TsdError } from '../../api/errors.js';
import type { AnyMessage } from '../api/event-types.js';
import { toTimestamp, type Timestamp } from '../api/timestamps.js';
import type { ContainerInput, ContainerStore } from '../metadata/container-store.js';
import type { AnyRecord, ContainerRecord } from '../metadata/schema.js';
import type { EventExchange } from '../server/event-exchange.js';
import { serverStreaming, unary, type ServiceHandlers } from '../server/handlers.js';

export interface ContainerMessage {
  id: string;
  labels: Record<string, string>;
  image: string;
  runtime: { name: string; options: AnyMessage | null } | null;
  spec: AnyMessage | null;
  snapshotter: string;
  snapshotKey: string;
  createdAt?: Timestamp | null;
  updatedAt?: Timestamp | null;
  extensions: Record<string, AnyMessage>;
}

type ContainerRequest = { container: ContainerMessage | null };

export function containersService(containers: ContainerStore, events: EventExchange): ServiceHandlers {
  return {
    Get: unary<{ id: string }, ContainerRequest>(async (request, context) => ({
      container: toMessage(containers.get(context.requireNamespace(), request.id)),
    })),
    List: unary<{ filters: string[] }, { containers: ContainerMessage[] }>(async (request, context) => ({
      containers: containers.list(context.requireNamespace(), request.filters).map(toMessage),
    })),
    ListStream: serverStreaming<{ filters: string[] }, ContainerRequest>(async (request, context, send) => {
      for (const container of containers.list(context.requireNamespace(), request.filters)) await send({ container: toMessage(container) });
    }),
    Create: unary<ContainerRequest, ContainerRequest>(async (request, context) => {
      const ns = context.requireNamespace();
      const container = await containers.create(ns, toInput(request.container));
      events.emit(ns, 'containerCreate', {
        id: container.id,
        image: container.image,
        runtime: { name: container.runtime.name, options: container.runtime.options && toAny(container.runtime.options) },
      });
      return { container: toMessage(container) };
    }),
    Update: unary<ContainerRequest & { updateMask: { paths: string[] } | null }, ContainerRequest>(async (request, context) => {
      const ns = context.requireNamespace();
      const container = await containers.update(ns, toInput(request.container), request.updateMask?.paths ?? []);
      events.emit(ns, 'containerUpdate', { id: container.id, image: container.image, labels: container.labels, snapshotKey: container.snapshotKey });
      return { container: toMessage(container) };
    }),
    Delete: unary<{ id: string }, object>(async (request, context) => {
      const ns = context.requireNamespace();
      await containers.delete(ns, request.id);
      events.emit(ns, 'containerDelete', { id: request.id });
      return {};
    }),
  };
}

export function toAny(record: AnyRecord): AnyMessage {
  return { type_url: record.typeUrl, value: Buffer.from(record.value, 'base64') };
}

export function fromAny(message: AnyMessage | null | undefined): AnyRecord | null {
  if (!message) return null;
  return { typeUrl: message.type_url, value: Buffer.from(message.value).toString('base64') };
}

function toInput(message: ContainerMessage | null): ContainerInput {
  if (!message) throw new TsdError('invalid-argument', 'request has no container');
  return {
    id: message.id,
    labels: { ...message.labels },
    image: message.image,
    runtime: { name: message.runtime?.name ?? '', options: fromAny(message.runtime?.options) },
    spec: fromAny(message.spec),
    snapshotter: message.snapshotter,
    snapshotKey: message.snapshotKey,
    extensions: Object.fromEntries(Object.entries(message.extensions ?? {}).map(([key, value]) => [key, fromAny(value) as AnyRecord])),
  };
}

function toMessage(container: ContainerRecord): ContainerMessage {
  return {
    id: container.id,
    labels: container.labels,
    image: container.image,
    runtime: { name: container.runtime.name, options: container.runtime.options && toAny(container.runtime.options) },
    spec: toAny(container.spec),
    snapshotter: container.snapshotter,
    snapshotKey: container.snapshotKey,
    createdAt: toTimestamp(container.createdAt),
    updatedAt: toTimestamp(container.updatedAt),
    extensions: Object.fromEntries(Object.entries(container.extensions).map(([key, value]) => [key, toAny(value)])),
  };
}
