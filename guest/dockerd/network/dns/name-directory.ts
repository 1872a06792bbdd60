/**
 * What the embedded DNS asks the engine, answered from the live endpoints: names and aliases, reverse
 * lookups, and which upstreams an asker uses. Reads only; the service owns the data.
 *
 * Like Docker's resolver (one per container), answers depend on who asks: the asker is the
 * container whose endpoint on the listener's network has the query's source address, and names
 * resolve on every user network it is connected to, in endpoint order (the first network with a
 * match wins). "name.network" resolves on that network only. A source that is no container's
 * (a process on the engine's host asking the gateway directly) sees the listener's network only.
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

  /** Addresses of `name` (a container name, alias, short id or hostname; "name.network" too) for the asker. */
  lookup(networkId: string, clientIp: string, name: string): string[] | undefined {
    const networks = this.networksOf(networkId, clientIp);
    // Docker's split of "a.b.c": a.b.c on any network, then a.b on network "c", then a on network "b.c".
    const labels = name.split('.');
    for (let cut = labels.length; cut >= 1; cut--) {
      const bare = labels.slice(0, cut).join('.');
      const networkName = labels.slice(cut).join('.');
      for (const network of networks) {
        if (networkName && network.Name.toLowerCase() !== networkName) continue;
        const addresses = this.view
          .endpointsOn(network.Id)
          .filter(({ endpoint }) => endpoint.dnsNames.some((dnsName) => dnsName.toLowerCase() === bare))
          .map(({ endpoint }) => endpoint.ip);
        if (addresses.length > 0) return addresses;
      }
    }
    return undefined;
  }

  /** Docker answers a container address with "<name>.<network>". */
  reverse(networkId: string, clientIp: string, address: string): string | undefined {
    for (const network of this.networksOf(networkId, clientIp)) {
      const found = this.view.endpointsOn(network.Id).find(({ endpoint }) => endpoint.ip === address);
      if (found) return `${found.record.spec.name}.${network.Name}`;
    }
    return undefined;
  }

  /** A container's own --dns servers (Docker forwards to them from its embedded DNS), else the engine's. */
  upstreams(networkId: string, clientIp: string): Upstream[] {
    const asker = this.asker(networkId, clientIp);
    if (asker?.spec.dns?.length) return asker.spec.dns.filter((server) => !server.includes(':')).map((host) => ({ host, port: 53 }));
    return this.engineUpstreams();
  }

  /**
   * Docker does not forward a single-label A/AAAA name when the asker set ndots > 0 itself: the
   * NXDOMAIN makes the client retry with its search domains instead.
   */
  keepsSingleLabels(networkId: string, clientIp: string): boolean {
    const options = this.asker(networkId, clientIp)?.spec.dnsOptions ?? [];
    return options.some((option) => /^ndots:0*[1-9]\d*$/.test(option));
  }

  private asker(networkId: string, clientIp: string): ContainerRecord | undefined {
    return this.view.endpointsOn(networkId).find(({ endpoint }) => endpoint.ip === clientIp)?.record;
  }

  /** The user networks whose names the asker sees, in its endpoint order. */
  private networksOf(networkId: string, clientIp: string): NetworkRecord[] {
    const asker = this.asker(networkId, clientIp);
    const ids = asker ? Object.keys(asker.endpoints) : [networkId];
    return ids.map((id) => this.view.network(id)).filter((network): network is NetworkRecord => network !== undefined && network.Name !== 'bridge');
  }
}

