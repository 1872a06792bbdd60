/** containerd.services.leases.v1.Leases over the namespaced lease store. */
import { randomBytes } from 'node:crypto';
import { TsdError } from '../../api/errors.js';
import { toTimestamp, type Timestamp } from '../api/timestamps.js';
import type { GarbageCollector } from '../metadata/garbage-collector.js';
import type { LeaseStore } from '../metadata/lease-store.js';
import type { LeaseRecord, LeaseResource } from '../metadata/schema.js';
import { unary, type ServiceHandlers } from '../server/handlers.js';

interface LeaseMessage {
  id: string;
  createdAt: Timestamp;
  labels: Record<string, string>;
}

export function leasesService(leases: LeaseStore, gc: GarbageCollector): ServiceHandlers {
  return {
    Create: unary<{ id: string; labels: Record<string, string> }, { lease: LeaseMessage }>(async (request, context) => {
      // containerd's clients always send an id; make one like theirs when one does not.
      const id = request.id || `${Date.now()}-${randomBytes(3).toString('hex')}`;
      return { lease: toLease(await leases.create(context.requireNamespace(), id, request.labels)) };
    }),
    Delete: unary<{ id: string; sync: boolean }, object>(async (request, context) => {
      const ns = context.requireNamespace();
      await leases.delete(ns, request.id);
      await gc.collect(ns);
      return {};
    }),
    List: unary<{ filters: string[] }, { leases: LeaseMessage[] }>(async (request, context) => ({
      leases: leases.list(context.requireNamespace(), request.filters).map(toLease),
    })),
    AddResource: unary<{ id: string; resource: LeaseResource | null }, object>(async (request, context) => {
      await leases.addResource(context.requireNamespace(), request.id, requireResource(request.resource));
      return {};
    }),
    DeleteResource: unary<{ id: string; resource: LeaseResource | null }, object>(async (request, context) => {
      await leases.deleteResource(context.requireNamespace(), request.id, requireResource(request.resource));
      return {};
    }),
    ListResources: unary<{ id: string }, { resources: LeaseResource[] }>(async (request, context) => ({
      resources: leases.listResources(context.requireNamespace(), request.id),
    })),
  };
}

function requireResource(resource: LeaseResource | null): LeaseResource {
  if (!resource) throw new TsdError('invalid-argument', 'lease resource is required');
  return resource;
}

function toLease(lease: LeaseRecord): LeaseMessage {
  return { id: lease.id, createdAt: toTimestamp(lease.createdAt), labels: lease.labels };
}
