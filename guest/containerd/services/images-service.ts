/** containerd.services.images.v1.Images, publishing /images/{create,update,delete}. */
import { TsdError } from '../../api/errors.js';
import { toTimestamp, type Timestamp } from '../api/timestamps.js';
import type { GarbageCollector } from '../metadata/garbage-collector.js';
import type { ImageInput, ImageStore } from '../metadata/image-store.js';
import type { ImageRecord } from '../metadata/schema.js';
import type { EventExchange } from '../server/event-exchange.js';
import { unary, type ServiceHandlers } from '../server/handlers.js';

interface DescriptorMessage {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, string>;
}

interface ImageMessage {
  name: string;
  labels: Record<string, string>;
  target: DescriptorMessage | null;
  createdAt?: Timestamp | null;
  updatedAt?: Timestamp | null;
}

export function imagesService(images: ImageStore, events: EventExchange, gc: GarbageCollector): ServiceHandlers {
  return {
    Get: unary<{ name: string }, { image: ImageMessage }>(async (request, context) => ({
      image: toMessage(images.get(context.requireNamespace(), request.name)),
    })),
    List: unary<{ filters: string[] }, { images: ImageMessage[] }>(async (request, context) => ({
      images: images.list(context.requireNamespace(), request.filters).map(toMessage),
    })),
    Create: unary<{ image: ImageMessage | null }, { image: ImageMessage }>(async (request, context) => {
      const ns = context.requireNamespace();
      const image = await images.create(ns, toInput(request.image));
      events.emit(ns, 'imageCreate', { name: image.name, labels: image.labels });
      return { image: toMessage(image) };
    }),
    Update: unary<{ image: ImageMessage | null; updateMask: { paths: string[] } | null }, { image: ImageMessage }>(async (request, context) => {
      const ns = context.requireNamespace();
      const image = await images.update(ns, toInput(request.image), request.updateMask?.paths ?? []);
      events.emit(ns, 'imageUpdate', { name: image.name, labels: image.labels });
      return { image: toMessage(image) };
    }),
    Delete: unary<{ name: string; sync: boolean }, object>(async (request, context) => {
      const ns = context.requireNamespace();
      await images.delete(ns, request.name);
      events.emit(ns, 'imageDelete', { name: request.name });
      await gc.collect(ns);
      return {};
    }),
  };
}

function toInput(message: ImageMessage | null): ImageInput {
  if (!message) throw new TsdError('invalid-argument', 'request has no image');
  const target = message.target ?? { mediaType: '', digest: '', size: 0, annotations: {} };
  return { name: message.name, labels: message.labels, target: { mediaType: target.mediaType, digest: target.digest, size: target.size, annotations: target.annotations } };
}

function toMessage(image: ImageRecord): ImageMessage {
  return { name: image.name, labels: image.labels, target: image.target, createdAt: toTimestamp(image.createdAt), updatedAt: toTimestamp(image.updatedAt) };
}
