/**
 * The events tsd-containerd publishes, one typed constant per topic, and their encoding into a
 * google.protobuf.Any. The type URL is the message's full name with no prefix, which is what
 * containerd's typeurl registers for its own events, so `ctr events` decodes them.
 */
import { loadApi } from './load-api.js';

export interface AnyMessage {
  /** snake_case: protobufjs keeps the well-known types' own field names. */
  type_url: string;
  value: Buffer;
}

export const TOPICS = {
  namespaceCreate: { topic: '/namespaces/create', type: 'containerd.events.NamespaceCreate' },
  namespaceUpdate: { topic: '/namespaces/update', type: 'containerd.events.NamespaceUpdate' },
  namespaceDelete: { topic: '/namespaces/delete', type: 'containerd.events.NamespaceDelete' },
  contentDelete: { topic: '/content/delete', type: 'containerd.events.ContentDelete' },
  snapshotPrepare: { topic: '/snapshot/prepare', type: 'containerd.events.SnapshotPrepare' },
  snapshotCommit: { topic: '/snapshot/commit', type: 'containerd.events.SnapshotCommit' },
  snapshotRemove: { topic: '/snapshot/remove', type: 'containerd.events.SnapshotRemove' },
  imageCreate: { topic: '/images/create', type: 'containerd.services.images.v1.ImageCreate' },
  imageUpdate: { topic: '/images/update', type: 'containerd.services.images.v1.ImageUpdate' },
  imageDelete: { topic: '/images/delete', type: 'containerd.services.images.v1.ImageDelete' },
  containerCreate: { topic: '/containers/create', type: 'containerd.events.ContainerCreate' },
  containerUpdate: { topic: '/containers/update', type: 'containerd.events.ContainerUpdate' },
  containerDelete: { topic: '/containers/delete', type: 'containerd.events.ContainerDelete' },
  taskExit: { topic: '/tasks/exit', type: 'containerd.events.TaskExit' },
  taskDelete: { topic: '/tasks/delete', type: 'containerd.events.TaskDelete' },
} as const;

export type EventKind = keyof typeof TOPICS;

export function encodeEvent(kind: EventKind, payload: Record<string, unknown>): { topic: string; event: AnyMessage } {
  const { topic, type } = TOPICS[kind];
  const messageType = loadApi().events.lookupType(type);
  const value = Buffer.from(messageType.encode(messageType.fromObject(payload)).finish());
  return { topic, event: { type_url: type, value } };
}

/** Decodes an event we know (for tests and logs); undefined for foreign type URLs. */
export function decodeEvent(event: AnyMessage): Record<string, unknown> | undefined {
  const name = event.type_url.replace(/^.*\//, '');
  let messageType;
  try {
    messageType = loadApi().events.lookupType(name);
  } catch {
    return undefined;
  }
  return messageType.toObject(messageType.decode(event.value), { defaults: true }) as Record<string, unknown>;
}
