/**
 * What the container service needs from the rest of the engine, as narrow interfaces: containerd
 * (snapshots, containers, tasks), the image service, the event log, networking (optional: without
 * it containers get a private network namespace with only loopback) and volumes.
 */
import type { ContainersClient } from '../../containerd/containers.js';
import type { SnapshotsClient } from '../../containerd/snapshots.js';
import type { TasksClient } from '../../containerd/tasks.js';
import type { EventInput } from '../../events/event-log.js';
import type { ImageForContainer } from '../../images/image-service.js';
import type { Networking } from '../../network/api.js';
import type { RuntimeOptions } from '../runtime-options.js';

export interface VolumeMounts {
  /**
   * Host path of a named volume (created when missing) or of a new anonymous one (name '').
   * `copyFrom`: the image's directory at the mount point, copied into an empty volume (Docker's copy-up).
   */
  mount(name: string, containerId: string, options?: { copyFrom?: string }): Promise<{ name: string; path: string }>;
  /**
   * Like mount, at container create: the volume is created when missing (named, or a new anonymous
   * one for '') and referenced by the container, but not mounted (no mount event); `copyFrom` as
   * for mount: Docker copies the image's content into a new volume at create.
   */
  reserve?(name: string, containerId: string, options?: { copyFrom?: string }): Promise<{ name: string; path: string }>;
  /** Removes volumes (anonymous ones at `rm -v`); in-use or missing ones are skipped. */
  remove(names: string[]): Promise<void>;
  /** The container is gone: its volumes are no longer in use by it. */
  forget?(containerId: string): Promise<void>;
}

export interface ContainerDeps {
  dataRoot: string;
  execRoot: string;
  /** Upstream DNS servers from daemon.json (`dns`). */
  dns: string[];
  liveRestore: boolean;
  /** daemon.json's log-driver and log-opts, read at each create (a reload may change them). */
  logDefaults?: () => { driver: string; options: Record<string, string> };
  containerd: { snapshots: SnapshotsClient; containers: ContainersClient; tasks: TasksClient };
  /** The image of a new container, its unpack left to the create (image-service.ts forContainerDeferred). */
  images: { forContainerDeferred(nameOrId: string): Promise<ImageForContainer & { unpack(): Promise<void>; label(): Promise<void> }> };
  publish(event: EventInput): void;
  /** Looked up at each use: the network module may register after the container module. */
  networking(): Networking | undefined;
  volumes: VolumeMounts;
  runtime: RuntimeOptions;
  cpuCount: number;
}
