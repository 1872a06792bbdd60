/**
 * GET /networks and /networks/{id} bodies (Docker's Network shape) and the list filters (pure
 * projections of the records and live endpoints).
 */
import type { FilterArgs } from '../http/filters.js';
import type { LiveEndpoint, ContainerRecord } from './endpoint-record.js';
import { isPredefined, type NetworkRecord } from './network-record.js';

export const NETWORK_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'] as const;

export function networkJson(record: NetworkRecord, endpoints: { record: ContainerRecord; endpoint: LiveEndpoint }[]): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const { record: container, endpoint } of endpoints) {
    containers[container.id] = {
      Name: container.spec.name,
      EndpointID: endpoint.endpointId,
      MacAddress: endpoint.mac,
      IPv4Address: `${endpoint.ip}/${endpoint.prefix}`,
      IPv6Address: '',
    };
  }
  return {
    Name: record.Name,
    Id: record.Id,
    Created: record.Created,
    Scope: 'local',
    Driver: record.Driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: record.IPAM,
    Internal: record.Internal,
    Attachable: record.Attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: record.Options,
    Labels: record.Labels,
  };
}

/** Docker's network list filters: name is a substring match, id a prefix, type builtin|custom. */
export function matchesNetworkFilters(record: NetworkRecord, filters: FilterArgs, used: boolean): boolean {
  const names = filters.get('name');
  if (names.length && !names.some((name) => record.Name.includes(name))) return false;
  const ids = filters.get('id');
  if (ids.length && !ids.some((id) => record.Id.startsWith(id))) return false;
  if (!filters.matches('driver', record.Driver)) return false;
  if (!filters.matches('scope', 'local')) return false;
  if (!filters.matchesLabels(record.Labels)) return false;
  const types = filters.get('type');
  if (types.length && !types.includes(isPredefined(record) ? 'builtin' : 'custom')) return false;
  const dangling = filters.boolean('dangling');
  if (dangling !== undefined && dangling !== (!used && !isPredefined(record))) return false;
  return true;
}
