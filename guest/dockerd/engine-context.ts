/**
 * The one object every route module receives: configuration, the containerd client, the event
 * log, the image service and optional views that other modules register (containers, volumes).
 * Modules add fields additively; nothing here is a global.
 *
 *   addSystemRoutes(router, ctx); addImageRoutes(router, ctx); addContainerRoutes(router, ctx) …
 */
import type { EngineConfig } from './config/engine-config.js';
import type { ContainerdClient } from './containerd/containerd-client.js';
import type { EngineLog } from './engine-log.js';
import type { EventLog } from './events/event-log.js';
import type { ImageService } from './images/image-service.js';
import type { RegistryAccess } from './images/registry-access.js';

/** What the container module tells the rest of the engine (registered by guest/dockerd/containers). */
export interface ContainerView {
  /** Container counts by state, for /info. */
  counts(): Promise<{ total: number; running: number; paused: number; stopped: number }>;
  /** Containers created from an image (by image ID `sha256:…`): rmi refuses while any exist. */
  usingImage(imageId: string): Promise<Array<{ id: string; running: boolean }>>;
  /** Entries of /system/df's `Containers` (Docker's container summary shape with SizeRw/SizeRootFs). */
  diskUsage?(): Promise<unknown[]>;
}

/** What the volume module tells the rest of the engine (registered by guest/dockerd/volumes). */
export interface VolumeView {
  /** Entries of /system/df's `Volumes` (Docker's volume shape with UsageData). */
  diskUsage(): Promise<unknown[]>;
}

export interface EngineContext {
  config: EngineConfig;
  /** The engine ID reported by /info (kept in the data root). */
  engineId: string;
  startedAt: Date;
  containerd: ContainerdClient;
  events: EventLog;
  log: EngineLog;
  registry: RegistryAccess;
  images: ImageService;
  containers?: ContainerView;
  volumes?: VolumeView;
  /**
   * Settles once the Engine API sockets listen. Start-up work that needs no request to wait for it
   * (restoring containers, which connects to containerd) starts after it, so that it does not delay
   * the first answer: requests never waited for that work. Absent in contexts built without a server.
   */
  listening?: Promise<void>;
  /** Called at shutdown, in reverse order of registration (stop watchers, flush state). */
  onClose(hook: () => Promise<void> | void): void;
}
