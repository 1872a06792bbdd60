/**
 * The /networks endpoints: list, inspect, create, remove, connect, disconnect, prune — Docker's
 * bodies, statuses and wording (403 for pre-defined networks and endpoint conflicts).
 */
import type { ServerResponse } from 'node:http';
import { TsdError } from '../../api/errors.js';
import type { EngineContext } from '../engine-context.js';
import { sendError, sendJson } from '../error-table.js';
import { FilterArgs } from '../http/filters.js';
import { checkShape, readJson, type Shape } from '../http/json-body.js';
import type { ApiRequest, Handler, Router } from '../router.js';
import type { EndpointRequest } from './api.js';
import { matchesNetworkFilters, networkJson, NETWORK_FILTERS } from './network-json.js';
import { ForbiddenError, isPredefined } from './network-record.js';
import type { NetworkService } from './network-service.js';
import type { CreateNetworkRequest } from './network-table.js';

/** The request bodies' field types (Go's names in errors, like dockerd's decoder). */
const IPAM_CONFIG: Shape = { name: 'IPAMConfig', fields: { Subnet: 'string', IPRange: 'string', Gateway: 'string', AuxiliaryAddresses: 'map[string]string' } };
const CREATE: Shape = {
  name: 'CreateRequest',
  fields: {
    Name: 'string', CheckDuplicate: 'bool', Driver: 'string', Scope: 'string', Internal: 'bool', Attachable: 'bool', Ingress: 'bool',
    EnableIPv4: 'bool', EnableIPv6: 'bool', ConfigOnly: 'bool', ConfigFrom: 'object', Options: 'map[string]string', Labels: 'map[string]string',
    IPAM: { name: 'IPAM', fields: { Driver: 'string', Options: 'map[string]string', Config: 'array' } },
  },
};
const ENDPOINT: Shape = {
  name: 'EndpointSettings',
  fields: { Aliases: '[]string', Links: '[]string', MacAddress: 'string', DriverOpts: 'map[string]string', IPAMConfig: { name: 'EndpointIPAMConfig', fields: { IPv4Address: 'string', IPv6Address: 'string', LinkLocalIPs: '[]string' } } },
};
const CONNECT: Shape = { name: 'NetworkConnectRequest', fields: { Container: 'string', EndpointConfig: ENDPOINT } };
const DISCONNECT: Shape = { name: 'NetworkDisconnectRequest', fields: { Container: 'string', Force: 'bool' } };

export function addNetworkRouteTable(router: Router, service: () => Promise<NetworkService>, ctx?: Pick<EngineContext, 'events'>): void {
  const event = (action: string, id: string, attributes: Record<string, string>): void => {
    ctx?.events.publish({ type: 'network', action, actor: id, attributes });
  };
  let networks!: NetworkService;
  const add = (method: 'GET' | 'POST' | 'DELETE', pattern: string, handler: Handler): void => {
    router.add(method, pattern, async (req, res) => {
      try {
        networks = await service();
        await handler(req, res);
      } catch (error) {
        // Docker answers 403 Forbidden for these; the shared error table has no such code.
        if (error instanceof ForbiddenError) sendJson(res, 403, { message: error.message });
        else sendError(res, error);
      }
    });
  };

  add('GET', '/networks', (req, res) => {
    const filters = FilterArgs.parse(req.query.get('filters'), NETWORK_FILTERS);
    const list = networks.table
      .all()
      .filter((record) => matchesNetworkFilters(record, filters, networks.isUsed(record.Id)))
      .map((record) => networkJson(record, networks.endpointsOn(record.Id)));
    sendJson(res, 200, list);
  });

  add('GET', '/networks/{id}', (req, res) => {
    const record = networks.table.find(req.params.id!);
    sendJson(res, 200, networkJson(record, networks.endpointsOn(record.Id)));
  });

  add('POST', '/networks/create', async (req, res) => {
    const body = await readJson<CreateNetworkRequest>(req.raw);
    checkShape(body, CREATE);
    for (const config of body?.IPAM?.Config ?? []) checkShape(config, IPAM_CONFIG);
    if (!body || typeof body !== 'object') throw new TsdError('invalid-argument', 'invalid JSON: expected an object');
    const record = await networks.createNetwork(body);
    event('create', record.Id, { name: record.Name, type: record.Driver });
    sendJson(res, 201, { Id: record.Id, Warning: '' });
  });

  add('DELETE', '/networks/{id}', async (req, res) => {
    const record = networks.table.find(req.params.id!);
    await networks.removeNetwork(record.Id);
    event('destroy', record.Id, { name: record.Name, type: record.Driver });
    noContent(res);
  });

  add('POST', '/networks/{id}/connect', async (req, res) => {
    const body = await readJson<{ Container?: string; EndpointConfig?: EndpointRequest | null }>(req.raw);
    checkShape(body, CONNECT);
    if (!body?.Container) throw new TsdError('invalid-argument', 'a container name or ID is required');
    const record = networks.table.find(req.params.id!);
    await networks.connect(record.Id, body.Container, body.EndpointConfig ?? {});
    sendJson(res, 200, null);
  });

  add('POST', '/networks/{id}/disconnect', async (req, res) => {
    const body = await readJson<{ Container?: string; Force?: boolean }>(req.raw);
    checkShape(body, DISCONNECT);
    if (!body?.Container) throw new TsdError('invalid-argument', 'a container name or ID is required');
    const record = networks.table.find(req.params.id!);
    await networks.disconnect(record.Id, body.Container);
    sendJson(res, 200, null);
  });

  add('POST', '/networks/prune', async (req, res) => sendJson(res, 200, await prune(networks, req, event)));
}

async function prune(networks: NetworkService, req: ApiRequest, event: (action: string, id: string, attributes: Record<string, string>) => void): Promise<{ NetworksDeleted: string[] }> {
  const filters = FilterArgs.parse(req.query.get('filters'), ['until', 'label', 'label!']);
  const until = filters.get('until')[0];
  const cutoff = until === undefined ? undefined : parseUntil(until);
  const deleted: string[] = [];
  for (const record of networks.table.all()) {
    if (isPredefined(record) || networks.isUsed(record.Id) || networks.endpointsOn(record.Id).length > 0) continue;
    if (!filters.matchesLabels(record.Labels)) continue;
    if (cutoff !== undefined && Date.parse(record.Created) >= cutoff) continue;
    await networks.removeNetwork(record.Id);
    event('destroy', record.Id, { name: record.Name, type: record.Driver });
    deleted.push(record.Name);
  }
  return { NetworksDeleted: deleted };
}

/** "until": a timestamp (seconds, RFC 3339) or a duration like "24h" before now. */
function parseUntil(text: string): number {
  const duration = /^(\d+)(s|m|h)$/.exec(text);
  if (duration) return Date.now() - Number(duration[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[duration[2] as 's' | 'm' | 'h'];
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw new TsdError('invalid-argument', `invalid filter 'until=${text}'`);
  return parsed;
}

function noContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}
