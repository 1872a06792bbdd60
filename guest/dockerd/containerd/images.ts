/**
 * containerd's Images service: named references to a target descriptor, in namespace moby.
 * Names are full references (`docker.io/library/busybox:latest`), as Docker's containerd image
 * store keeps them; dangling images are named `moby-dangling@<digest>` like Docker's.
 */
import { fromTimestamp } from '../../containerd/api/timestamps.js';
import type { ContainerdConnection } from './connection.js';
import type { DescriptorMessage, Timestamp } from './types.js';

const SERVICE = 'containerd.services.images.v1.Images';

export interface ImageRecord {
  name: string;
  labels: Record<string, string>;
  target: DescriptorMessage;
  createdAt: Date;
  updatedAt: Date;
}

interface ImageMessage {
  name: string;
  labels: Record<string, string>;
  target: DescriptorMessage | null;
  createdAt: Timestamp | null;
  updatedAt: Timestamp | null;
}

function toRecord(message: ImageMessage): ImageRecord {
  return {
    name: message.name,
    labels: message.labels ?? {},
    target: message.target ?? { mediaType: '', digest: '', size: 0 },
    createdAt: fromTimestamp(message.createdAt) ?? new Date(0),
    updatedAt: fromTimestamp(message.updatedAt) ?? new Date(0),
  };
}

export class ImagesClient {
  constructor(private readonly connection: ContainerdConnection) {}

  async get(name: string): Promise<ImageRecord> {
    const response = await this.connection.unary<object, { image: ImageMessage }>(SERVICE, 'Get', { name });
    return toRecord(response.image);
  }

  /** Images matching any filter (containerd syntax: `name==…`, `target.digest==…`, `labels."k"==v`). */
  async list(filters: string[] = []): Promise<ImageRecord[]> {
    const response = await this.connection.unary<object, { images: ImageMessage[] }>(SERVICE, 'List', { filters });
    return response.images.map(toRecord);
  }

  async create(image: { name: string; target: DescriptorMessage; labels?: Record<string, string> }): Promise<ImageRecord> {
    const response = await this.connection.unary<object, { image: ImageMessage }>(SERVICE, 'Create', {
      image: { name: image.name, target: image.target, labels: image.labels ?? {} },
    });
    return toRecord(response.image);
  }

  /** Replaces target and labels of an existing image. */
  async update(image: { name: string; target: DescriptorMessage; labels?: Record<string, string> }): Promise<ImageRecord> {
    const response = await this.connection.unary<object, { image: ImageMessage }>(SERVICE, 'Update', {
      image: { name: image.name, target: image.target, labels: image.labels ?? {} },
      updateMask: { paths: ['target', 'labels'] },
    });
    return toRecord(response.image);
  }

  /** Creates the image, or points an existing one at the new target. */
  async put(image: { name: string; target: DescriptorMessage; labels?: Record<string, string> }): Promise<ImageRecord> {
    try {
      return await this.create(image);
    } catch (error) {
      if ((error as { code?: string }).code !== 'already-exists') throw error;
      return await this.update(image);
    }
  }

  /** Deletes the name; with `sync` containerd collects garbage before answering (so freed space is freed). */
  async delete(name: string, options: { sync?: boolean } = {}): Promise<void> {
    await this.connection.unary(SERVICE, 'Delete', { name, sync: options.sync ?? false });
  }
}
