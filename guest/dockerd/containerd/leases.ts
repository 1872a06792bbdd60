/**
 * containerd's Leases service. A lease holds everything created under it (content, snapshots)
 * from garbage collection until it is deleted; an expiring lease (`containerd.io/gc.expire`)
 * releases what a crashed pull left behind.
 */
import { randomBytes } from 'node:crypto';
import type { ContainerdConnection } from './connection.js';

const SERVICE = 'containerd.services.leases.v1.Leases';

export class LeasesClient {
  constructor(private readonly connection: ContainerdConnection) {}

  /** Creates a lease that expires after `ttlMs` (containerd drops it at its next GC after that). */
  async create(purpose: string, ttlMs = 24 * 3600_000): Promise<string> {
    const id = `moby-${purpose}-${Date.now()}-${randomBytes(4).toString('hex')}`;
    const labels = { 'containerd.io/gc.expire': new Date(Date.now() + ttlMs).toISOString() };
    await this.connection.unary(SERVICE, 'Create', { id, labels });
    return id;
  }

  /**
   * Holds an existing resource under the lease: `content` (id = digest) or
   * `snapshots/<snapshotter>` (id = snapshot key). What a pull finds already present must be held
   * too, or a concurrent deletion could collect it before the pull names its image.
   */
  async addResource(lease: string, resource: { id: string; type: string }): Promise<void> {
    await this.connection.unary(SERVICE, 'AddResource', { id: lease, resource });
  }

  async delete(id: string): Promise<void> {
    await this.connection.unary(SERVICE, 'Delete', { id, sync: false });
  }

  /** Runs `work` under a new lease, deleting the lease afterwards whatever happens. */
  async with<T>(purpose: string, work: (lease: string) => Promise<T>): Promise<T> {
    const lease = await this.create(purpose);
    try {
      return await work(lease);
    } finally {
      await this.delete(lease).catch(() => undefined);
    }
  }
}
