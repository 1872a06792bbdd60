/**
 * Assembles tsd-containerd: opens the stores under --root, builds the services over them and
 * serves them on --address. Layout under the root follows containerd's plugin directories:
 *   io.containerd.metadata.v1.bolt/meta.json     namespaced metadata (metadata-db.ts)
 *   io.containerd.grpc.v1.introspection/uuid     the server's UUID
 *   io.containerd.content.v1.content/            blobs and ingests (content/local-store.ts)
 *   io.containerd.snapshotter.v1.<name>/         each snapshotter's records and directories
 *   io.containerd.runtime.v2.task/<ns>/<id>/     task work dirs (bundles are under --state)
 * Beside the gRPC socket, "<address>.ttrpc" takes the shims' events. On start, the shims of tasks
 * that outlived a previous daemon are reconnected (runtime/shim-manager.ts).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalContentStore } from '../content/local-store.js';
import { GarbageCollector } from '../metadata/garbage-collector.js';
import { ImageStore } from '../metadata/image-store.js';
import { ContainerStore } from '../metadata/container-store.js';
import { containersService } from '../services/containers-service.js';
import { tasksService } from '../services/tasks-service.js';
import { bundleRoots } from '../runtime/bundle.js';
import { ShimManager } from '../runtime/shim-manager.js';
import { startEventsEndpoint } from '../runtime/events-endpoint.js';
import { imagesService } from '../services/images-service.js';
import { diffService } from '../services/diff-service.js';
import { LeaseStore } from '../metadata/lease-store.js';
import { MetadataDb } from '../metadata/metadata-db.js';
import { NamespaceStore } from '../metadata/namespace-store.js';
import { NamespacedContent } from '../metadata/namespaced-content.js';
import { NamespacedSnapshots } from '../metadata/namespaced-snapshots.js';
import { NativeSnapshotter } from '../snapshots/native/native-snapshotter.js';
import { OverlaySnapshotter } from '../snapshots/overlay/overlay-snapshotter.js';
import type { Snapshotter } from '../snapshots/snapshotter.js';
import { snapshotsService } from '../services/snapshots-service.js';
import { contentService } from '../services/content-service.js';
import { leasesService } from '../services/leases-service.js';
import { eventsService } from '../services/events-service.js';
import { introspectionService } from '../services/introspection-service.js';
import { namespacesService } from '../services/namespaces-service.js';
import { versionService } from '../services/version-service.js';
import { EventExchange } from './event-exchange.js';
import { startGrpcServer, type RunningServer } from './grpc-server.js';
import { pluginTable } from './plugins.js';
import { serverUuid } from './server-uuid.js';

export interface DaemonOptions {
  address: string;
  root: string;
  state: string;
  /** This daemon's binary, passed to shims as -publish-binary; shims are looked for beside it. */
  publishBinary?: string;
}

export interface RunningDaemon {
  server: RunningServer;
  stop(): Promise<void>;
}

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  await mkdir(options.root, { recursive: true, mode: 0o711 });
  await mkdir(options.state, { recursive: true, mode: 0o711 });
  const db = await MetadataDb.open(join(options.root, 'io.containerd.metadata.v1.bolt', 'meta.json'));
  const events = new EventExchange();
  const blobs = await LocalContentStore.open(join(options.root, 'io.containerd.content.v1.content'));
  const content = new NamespacedContent(db, blobs);
  const leases = new LeaseStore(db);
  const images = new ImageStore(db);
  const containers = new ContainerStore(db);
  const snapshotters = await openSnapshotters(options.root);
  const snapshots = new NamespacedSnapshots(db, snapshotters);
  const namespaces = new NamespaceStore(db, (ns) => snapshots.count(ns));
  const gc = new GarbageCollector(db, content, snapshots);
  const uuid = await serverUuid(join(options.root, 'io.containerd.grpc.v1.introspection', 'uuid'));
  const plugins = pluginTable({
    root: options.root,
    state: options.state,
    platform: { os: 'linux', architecture: goArch(), variant: '' },
    snapshotters: Object.fromEntries([...snapshotters].map(([name, s]) => [name, 'error' in s ? s : { root: s.root }])),
  });
  const ttrpcAddress = `${options.address}.ttrpc`;
  const shims = new ShimManager(
    bundleRoots(options.root, options.state),
    { address: options.address, ttrpcAddress, publishBinary: options.publishBinary ?? process.argv[1] ?? 'tsd-containerd' },
    events,
  );
  const eventsEndpoint = await startEventsEndpoint(ttrpcAddress, events, (envelope) => shims.observe(envelope));
  await shims.loadExisting((ns, id) => db.namespace(ns)?.containers[id]?.runtime.name);
  const server = await startGrpcServer(options.address, {
    'containerd.services.version.v1.Version': versionService(),
    'containerd.services.introspection.v1.Introspection': introspectionService(plugins, uuid),
    'containerd.services.namespaces.v1.Namespaces': namespacesService(namespaces, events),
    'containerd.services.events.v1.Events': eventsService(events),
    'containerd.services.content.v1.Content': contentService(content, events),
    'containerd.services.leases.v1.Leases': leasesService(leases, gc),
    'containerd.services.images.v1.Images': imagesService(images, events, gc),
    'containerd.services.diff.v1.Diff': diffService(content),
    'containerd.services.snapshots.v1.Snapshots': snapshotsService(snapshots, events),
    'containerd.services.containers.v1.Containers': containersService(containers, events),
    'containerd.services.tasks.v1.Tasks': tasksService(containers, shims),
  });
  const stop = async (): Promise<void> => {
    await server.stop();
    // The shims and their tasks keep running; the next start reconnects to them.
    shims.closeAll();
    await eventsEndpoint.close();
  };
  return { server, stop };
}

/** Node's arch names in Go's (and OCI's) words. */
export function goArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' } as Record<string, string>)[process.arch] ?? process.arch;
}

type LoadedSnapshotter = (Snapshotter & { root: string }) | { error: string };

/** overlayfs (where the kernel has it) and native; one that cannot start reports why. */
async function openSnapshotters(root: string): Promise<Map<string, LoadedSnapshotter>> {
  const loaded = new Map<string, LoadedSnapshotter>();
  const open = async (name: string, opener: (dir: string) => Promise<Snapshotter & { root: string }>): Promise<void> => {
    try {
      loaded.set(name, await opener(join(root, `io.containerd.snapshotter.v1.${name}`)));
    } catch (error) {
      loaded.set(name, { error: (error as Error).message });
    }
  };
  await open('overlayfs', (dir) => OverlaySnapshotter.open(dir));
  await open('native', (dir) => NativeSnapshotter.open(dir));
  return loaded;
}
