/**
 * The container module: builds the service from the engine context and registers its routes.
 * One line in engine-server.ts calls `addContainerRoutes(router, context)`.
 */
import { cpus } from 'node:os';
import { ContainersClient } from '../containerd/containers.js';
import { TasksClient } from '../containerd/tasks.js';
import type { EngineContext } from '../engine-context.js';
import type { Networking } from '../network/api.js';
import { networkingOf, useContainers } from '../network/engine-wiring.js';
import type { Router } from '../router.js';
import { ExecStore } from './exec/exec-store.js';
import { addExecRoutes } from './handlers/exec-routes.js';
import { addInspectRoutes } from './handlers/inspect-routes.js';
import { addLifecycleRoutes } from './handlers/lifecycle-routes.js';
import { addStreamRoutes } from './handlers/stream-routes.js';
import { addProcessRoutes } from './handlers/process-routes.js';
import { addArchiveRoutes } from './handlers/archive-routes.js';
import { addPruneRoutes } from './handlers/prune-routes.js';
import { addCommitRoutes } from './handlers/commit-routes.js';
import { runtimeOptions } from './runtime-options.js';
import { ContainerService } from './service/container-service.js';
import type { VolumeMounts } from './service/deps.js';
import { localVolumes } from './service/local-volumes.js';
import { restoreContainers } from './service/restore.js';
import { shutdownContainers } from './service/shutdown.js';
import { ContainerStore } from './store/container-store.js';
import { summaryView } from './handlers/inspect-view.js';
import { containerSizes } from './service/sizes.js';

/** Fields other modules may add to the context that the container module uses when present. */
type OptionalContext = EngineContext & { volumeMounts?: VolumeMounts };

function networkingFor(ctx: EngineContext): Networking | undefined {
  try {
    return networkingOf(ctx);
  } catch {
    return undefined;
  }
}

export async function addContainerRoutes(router: Router, context: EngineContext): Promise<ContainerService> {
  const ctx = context as OptionalContext;
  const { config } = ctx;
  const store = await ContainerStore.open(config.dataRoot);
  const connection = ctx.containerd.connection;
  const service = new ContainerService(store, {
    dataRoot: config.dataRoot,
    execRoot: config.execRoot,
    dns: config.dns,
    liveRestore: config.liveRestore,
    logDefaults: () => ({ driver: config.logDriver, options: config.logOpts }),
    containerd: { snapshots: ctx.containerd.snapshots, containers: new ContainersClient(connection), tasks: new TasksClient(connection) },
    images: ctx.images,
    publish: (event) => ctx.events.publish(event),
    networking: () => networkingFor(ctx),
    volumes: ctx.volumeMounts ?? localVolumes(config.dataRoot),
    runtime: runtimeOptions(),
    cpuCount: cpus().length,
  });
  const execs = new ExecStore();
  addLifecycleRoutes(router, service);
  addInspectRoutes(router, service, execs, { idOf: (ref) => ctx.images.resolve(ref).then((i) => i.id, () => undefined) });
  addStreamRoutes(router, service);
  addExecRoutes(router, service, execs);
  addProcessRoutes(router, service);
  addArchiveRoutes(router, service);
  addPruneRoutes(router, service);
  addCommitRoutes(router, service, ctx);
  ctx.containers = {
    async counts() {
      const all = store.all();
      const running = all.filter((r) => r.State.Running && !r.State.Paused).length;
      const paused = all.filter((r) => r.State.Paused).length;
      return { total: all.length, running, paused, stopped: all.length - running - paused };
    },
    async usingImage(imageId) {
      return store.all().filter((r) => r.Image === imageId).map((r) => ({ id: r.ID, running: r.State.Running }));
    },
    async diskUsage() {
      const networking = networkingFor(ctx);
      return Promise.all(store.all().map(async (r) => summaryView(r, networking?.settings(r.ID), await containerSizes(service, r))));
    },
  };
  if (networkingFor(ctx)) {
    useContainers(ctx, {
      async find(idOrName) {
        const record = service.find(idOrName);
        return { id: record.ID, name: record.Name.slice(1), spec: service.networkSpec(record), netnsPath: record.State.Running ? `/proc/${record.State.Pid}/ns/net` : undefined };
      },
      async ids() {
        return store.all().map((r) => r.ID);
      },
    });
  }
  // Registered after the network module's hook, so it runs before it (hooks run in reverse).
  ctx.onClose(() => shutdownContainers(service, config.liveRestore));
  // Restoring talks to containerd, which may still be starting: do it in the background, once the
  // API listens (requests never waited for it; starting it earlier only delays the first answer).
  void (ctx.listening ?? Promise.resolve()).then(() => connection.waitReady(120_000)).then(() => restoreContainers(service)).catch((error: Error) => console.error(`dockerd: restoring containers failed: ${error.message}`));
  return service;
}
