/**
 * containerd's Snapshots service for one snapshotter (overlayfs by default, as Docker's containerd
 * store uses). Snapshots return mount descriptions; nothing here mounts anything.
 */
import { fromTimestamp } from '../../containerd/api/timestamps.js';
import { collect, type CallOptions, type ContainerdConnection } from './connection.js';
import type { MountMessage, Timestamp } from './types.js';

const SERVICE = 'containerd.services.snapshots.v1.Snapshots';

export type SnapshotKind = 'UNKNOWN' | 'VIEW' | 'ACTIVE' | 'COMMITTED';

export interface SnapshotInfo {
  name: string;
  parent: string;
  kind: SnapshotKind;
  createdAt: Date;
  updatedAt: Date;
  labels: Record<string, string>;
}

interface InfoMessage {
  name: string;
  parent: string;
  kind: SnapshotKind;
  createdAt: Timestamp | null;
  updatedAt: Timestamp | null;
  labels: Record<string, string>;
}

function toInfo(message: InfoMessage): SnapshotInfo {
  return {
    name: message.name,
    parent: message.parent,
    kind: message.kind,
    createdAt: fromTimestamp(message.createdAt) ?? new Date(0),
    updatedAt: fromTimestamp(message.updatedAt) ?? new Date(0),
    labels: message.labels ?? {},
  };
}

export class SnapshotsClient {
  constructor(private readonly connection: ContainerdConnection, readonly snapshotter = 'overlayfs') {}

  async prepare(key: string, parent: string, labels: Record<string, string> = {}, options: CallOptions = {}): Promise<MountMessage[]> {
    const response = await this.connection.unary<object, { mounts: MountMessage[] }>(
      SERVICE, 'Prepare', { snapshotter: this.snapshotter, key, parent, labels }, options,
    );
    return response.mounts;
  }

  async view(key: string, parent: string, labels: Record<string, string> = {}, options: CallOptions = {}): Promise<MountMessage[]> {
    const response = await this.connection.unary<object, { mounts: MountMessage[] }>(
      SERVICE, 'View', { snapshotter: this.snapshotter, key, parent, labels }, options,
    );
    return response.mounts;
  }

  async mounts(key: string): Promise<MountMessage[]> {
    const response = await this.connection.unary<object, { mounts: MountMessage[] }>(SERVICE, 'Mounts', { snapshotter: this.snapshotter, key });
    return response.mounts;
  }

  async commit(name: string, key: string, labels: Record<string, string> = {}, options: CallOptions = {}): Promise<void> {
    await this.connection.unary(SERVICE, 'Commit', { snapshotter: this.snapshotter, name, key, labels }, options);
  }

  async remove(key: string): Promise<void> {
    await this.connection.unary(SERVICE, 'Remove', { snapshotter: this.snapshotter, key });
  }

  async stat(key: string): Promise<SnapshotInfo> {
    const response = await this.connection.unary<object, { info: InfoMessage }>(SERVICE, 'Stat', { snapshotter: this.snapshotter, key });
    return toInfo(response.info);
  }

  /** The snapshot's info, or undefined when it does not exist. */
  async find(key: string): Promise<SnapshotInfo | undefined> {
    try {
      return await this.stat(key);
    } catch (error) {
      if ((error as { code?: string }).code === 'not-found') return undefined;
      throw error;
    }
  }

  async list(filters: string[] = []): Promise<SnapshotInfo[]> {
    const batches = await collect(this.connection.serverStream<object, { info: InfoMessage[] }>(
      SERVICE, 'List', { snapshotter: this.snapshotter, filters },
    ));
    return batches.flatMap((batch) => batch.info.map(toInfo));
  }

  /** Bytes and inodes the snapshot uses on disk (its own layer, not its parents). */
  async usage(key: string): Promise<{ size: number; inodes: number }> {
    const response = await this.connection.unary<object, { size: number; inodes: number }>(SERVICE, 'Usage', { snapshotter: this.snapshotter, key });
    return { size: Number(response.size), inodes: Number(response.inodes) };
  }
}
