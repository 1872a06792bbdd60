/** containerd.services.snapshots.v1.Snapshots over the namespaced snapshotters, with events. */
import { TsdError } from '../../api/errors.js';
import { toTimestamp, type Timestamp } from '../api/timestamps.js';
import type { NamespacedSnapshots } from '../metadata/namespaced-snapshots.js';
import type { Mount, SnapshotInfo } from '../snapshots/snapshotter.js';
import type { EventExchange } from '../server/event-exchange.js';
import { serverStreaming, unary, type ServiceHandlers } from '../server/handlers.js';

type Kind = 'UNKNOWN' | 'VIEW' | 'ACTIVE' | 'COMMITTED';

interface InfoMessage {
  name: string;
  parent: string;
  kind: Kind;
  createdAt: Timestamp | null;
  updatedAt: Timestamp | null;
  labels: Record<string, string>;
}

interface CreateRequest {
  snapshotter: string;
  key: string;
  parent: string;
  labels: Record<string, string>;
}

interface KeyRequest {
  snapshotter: string;
  key: string;
}

const LIST_BATCH = 100;

export function snapshotsService(snapshots: NamespacedSnapshots, events: EventExchange): ServiceHandlers {
  return {
    Prepare: unary<CreateRequest, { mounts: Mount[] }>(async (request, context) => {
      const ns = context.requireNamespace();
      const mounts = await snapshots.prepare(ns, request.snapshotter, request.key, request.parent, request.labels, context.lease);
      events.emit(ns, 'snapshotPrepare', { key: request.key, parent: request.parent });
      return { mounts: mounts.map(toMount) };
    }),
    View: unary<CreateRequest, { mounts: Mount[] }>(async (request, context) => {
      const ns = context.requireNamespace();
      const mounts = await snapshots.view(ns, request.snapshotter, request.key, request.parent, request.labels, context.lease);
      return { mounts: mounts.map(toMount) };
    }),
    Mounts: unary<KeyRequest, { mounts: Mount[] }>(async (request, context) => ({
      mounts: (await snapshots.mounts(context.requireNamespace(), request.snapshotter, request.key)).map(toMount),
    })),
    Commit: unary<{ snapshotter: string; name: string; key: string; labels: Record<string, string> }, object>(async (request, context) => {
      const ns = context.requireNamespace();
      await snapshots.commit(ns, request.snapshotter, request.name, request.key, request.labels, context.lease);
      events.emit(ns, 'snapshotCommit', { key: request.key, name: request.name });
      return {};
    }),
    Remove: unary<KeyRequest, object>(async (request, context) => {
      const ns = context.requireNamespace();
      await snapshots.remove(ns, request.snapshotter, request.key);
      events.emit(ns, 'snapshotRemove', { key: request.key });
      return {};
    }),
    Stat: unary<KeyRequest, { info: InfoMessage }>(async (request, context) => ({
      info: toInfo(await snapshots.stat(context.requireNamespace(), request.snapshotter, request.key)),
    })),
    Update: unary<{ snapshotter: string; info: InfoMessage | null; updateMask: { paths: string[] } | null }, { info: InfoMessage }>(async (request, context) => {
      if (!request.info) throw new TsdError('invalid-argument', 'update needs info');
      const info = await snapshots.update(context.requireNamespace(), request.snapshotter, request.info.name, request.info.labels, request.updateMask?.paths ?? []);
      return { info: toInfo(info) };
    }),
    List: serverStreaming<{ snapshotter: string; filters: string[] }, { info: InfoMessage[] }>(async (request, context, send) => {
      const infos = (await snapshots.list(context.requireNamespace(), request.snapshotter, request.filters)).map(toInfo);
      for (let i = 0; i < infos.length; i += LIST_BATCH) await send({ info: infos.slice(i, i + LIST_BATCH) });
    }),
    Usage: unary<KeyRequest, { size: number; inodes: number }>(async (request, context) =>
      await snapshots.usage(context.requireNamespace(), request.snapshotter, request.key)),
    Cleanup: unary<{ snapshotter: string }, object>(async (request, context) => {
      context.requireNamespace();
      await snapshots.cleanup(request.snapshotter);
      return {};
    }),
  };
}

function toMount(mount: Mount): Mount {
  return { type: mount.type, source: mount.source, target: mount.target ?? '', options: mount.options };
}

function toInfo(info: SnapshotInfo): InfoMessage {
  return {
    name: info.name,
    parent: info.parent ?? '',
    kind: info.kind.toUpperCase() as Kind,
    createdAt: toTimestamp(info.createdAt),
    updatedAt: toTimestamp(info.updatedAt),
    labels: info.labels,
  };
}
