/**
 * The typed containerd client dockerd holds: one connection, one object per service, namespace
 * moby. H4 adds `containers` and `tasks` here when their services exist.
 */
import { ContainerdConnection } from './connection.js';
import { RemoteContentStore } from './content.js';
import { DiffClient } from './diff.js';
import { EventsClient } from './events.js';
import { ImagesClient } from './images.js';
import { LeasesClient } from './leases.js';
import { SnapshotsClient } from './snapshots.js';

export class ContainerdClient {
  readonly connection: ContainerdConnection;
  readonly content: RemoteContentStore;
  readonly images: ImagesClient;
  readonly snapshots: SnapshotsClient;
  readonly leases: LeasesClient;
  readonly diff: DiffClient;
  readonly events: EventsClient;

  constructor(address: string, options: { namespace?: string; snapshotter?: string } = {}) {
    this.connection = new ContainerdConnection(address, options.namespace);
    this.content = new RemoteContentStore(this.connection);
    this.images = new ImagesClient(this.connection);
    this.snapshots = new SnapshotsClient(this.connection, options.snapshotter);
    this.leases = new LeasesClient(this.connection);
    this.diff = new DiffClient(this.connection);
    this.events = new EventsClient(this.connection);
  }

  close(): void {
    this.connection.close();
  }
}
