/**
 * Leases: named holds on resources (content, ingests, snapshots) so a client can create things
 * before anything references them. Resources are recorded when a request carries the
 * `containerd-lease` header, or through AddResource.
 */
import { TsdError } from '../../api/errors.js';
import { parseDigest } from '../../api/oci-image-spec.js';
import { anyFilter } from '../content/filters.js';
import type { MetadataDb } from './metadata-db.js';
import { validateLabels } from './namespace-store.js';
import type { Labels, LeaseRecord, LeaseResource, NamespaceRecord } from './schema.js';

export class LeaseStore {
  constructor(private readonly db: MetadataDb) {}

  async create(ns: string, id: string, labels: Labels): Promise<LeaseRecord> {
    // Not containerd's identifier rule: its clients make ids like "789338711-_-2M" (nanoseconds-base64).
    if (id === '' || id.includes('/')) throw new TsdError('invalid-argument', `lease id "${id}" must be non-empty and contain no "/"`);
    validateLabels(labels);
    return await this.db.updateNamespace(ns, (record) => {
      if (record.leases[id]) throw new TsdError('already-exists', `lease "${id}"`);
      const lease: LeaseRecord = { id, labels, createdAt: new Date().toISOString(), resources: [] };
      record.leases[id] = lease;
      return lease;
    });
  }

  async delete(ns: string, id: string): Promise<void> {
    await this.db.updateNamespace(ns, (record) => {
      if (!record.leases[id]) throw new TsdError('not-found', `lease "${id}"`);
      delete record.leases[id];
    });
  }

  list(ns: string, filters: string[]): LeaseRecord[] {
    const matches = anyFilter(filters);
    const leases = Object.values(this.db.namespace(ns)?.leases ?? {});
    return leases.filter((lease) =>
      matches(([head, ...rest]) => {
        if (head === 'id' && rest.length === 0) return lease.id;
        if (head === 'labels' && rest.length > 0) return lease.labels[rest.join('.')];
        return undefined;
      }),
    );
  }

  async addResource(ns: string, id: string, resource: LeaseResource): Promise<void> {
    validateResource(resource);
    await this.db.updateNamespace(ns, (record) => addLeaseResource(record, id, resource));
  }

  async deleteResource(ns: string, id: string, resource: LeaseResource): Promise<void> {
    await this.db.updateNamespace(ns, (record) => {
      const lease = record.leases[id];
      if (!lease) throw new TsdError('not-found', `lease "${id}"`);
      lease.resources = lease.resources.filter((r) => r.id !== resource.id || r.type !== resource.type);
    });
  }

  listResources(ns: string, id: string): LeaseResource[] {
    const lease = this.db.namespace(ns)?.leases[id];
    if (!lease) throw new TsdError('not-found', `lease "${id}"`);
    return lease.resources.map((r) => ({ ...r }));
  }
}

/** Adds a resource to a lease inside a namespace update (no-op when already held). */
export function addLeaseResource(record: NamespaceRecord, leaseId: string, resource: LeaseResource): void {
  const lease = record.leases[leaseId];
  if (!lease) throw new TsdError('not-found', `lease "${leaseId}" does not exist`);
  if (!lease.resources.some((r) => r.id === resource.id && r.type === resource.type)) lease.resources.push({ ...resource });
}

function validateResource(resource: LeaseResource): void {
  if (resource.id === '') throw new TsdError('invalid-argument', 'lease resource id must not be empty');
  if (resource.type === 'content') parseDigest(resource.id);
  else if (resource.type !== 'ingests' && !/^snapshots\/[A-Za-z0-9._-]+$/.test(resource.type)) {
    throw new TsdError('invalid-argument', `unsupported lease resource type "${resource.type}" (content, ingests or snapshots/<snapshotter>)`);
  }
}
