/**
 * What the embedded DNS asks the engine, answered from the live endpoints: names and aliases on one
 * network, reverse lookups, and which upstreams an asker uses. Reads only; the service owns the data.
 */
import type { LiveEndpoint, ContainerRecord } from '../endpoint-record.js';
import type { NetworkRecord } from '../network-record.js';
import type { Upstream } from './dns-server.js';

export interface EndpointView {
  network(networkId: string): NetworkRecord | undefined;
  endpointsOn(networkId: string): { record: ContainerRecord; endpoint: LiveEndpoint }[];
}

export class NameDirectory {
  constructor(
    private readonly view: EndpointView,
    /** the engine's upstreams (options.upstreams, daemon.json dns or the host's resolv.conf) */
    private readonly engineUpstreams: () => Upstream[],
  ) {}

  /** Addresses of `name` (a container name, alias, short id or hostname; "name.network" too) on one network. */
  lookup(networkId: string, name: string): string[] | undefined {
    const network = this.view.network(networkId);
    const bare = network && name.endsWith(`.${network.Name.toLowerCase()}`) ? name.slice(0, -network.Name.length - 1) : name;
    const addresses = this.view
      .endpointsOn(networkId)
      .filter(({ endpoint }) => endpoint.dnsNames.some((dnsName) => dnsName.toLowerCase() === bare))
      .map(({ endpoint }) => endpoint.ip);
    return addresses.length > 0 ? addresses : undefined;
  }

  /** Docker answers a container address with "<name>.<network>". */
  reverse(networkId: string, address: string): string | undefined {
    const found = this.view.endpointsOn(networkId).find(({ endpoint }) => endpoint.ip === address);
    const network = this.view.network(networkId);
    return found && network ? `${found.record.spec.name}.${network.Name}` : undefined;
  }

  /** A container's own --dns servers (Docker forwards to them from its embedded DNS), else the engine's. */
  upstreams(networkId: string, clientIp: string): Upstream[] {
    const asker = this.view.endpointsOn(networkId).find(({ endpoint }) => endpoint.ip === clientIp)?.record;
    if (asker?.spec.dns?.length) return asker.spec.dns.filter((server) => !server.includes(':')).map((host) => ({ host, port: 53 }));
    return this.engineUpstreams();
  }
}
