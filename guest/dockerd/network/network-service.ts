/**
 * The networking service: ties networks (network-table), container endpoints (sys/links), the
 * firewall (nft/), the embedded DNS (dns/) and port publishing (ports/) together behind the
 * Networking interface. Every mutation runs under one lock, so address and port choices never race.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../api/errors.js';
import type { AttachResult, ContainerNetworkSpec, EndpointRequest, Networking, NetworkSettings, PortPublisher } from './api.js';
import { parseResolvConf, renderHosts, renderResolvConf } from './container-files.js';
import { pointEmbeddedDns, removeEmbeddedDns } from './dns/container-redirect.js';
import { hostResolvConf } from './dns/host-resolv-conf.js';
import { EmbeddedDns, type Upstream } from './dns/dns-server.js';
import { NameDirectory } from './dns/name-directory.js';
import { modeOf, networkSettings, networksOf, type ContainerRecord, type LiveEndpoint } from './endpoint-record.js';
import { checkAddress, pickAddress } from './ipam/allocator.js';
import { contains, macFor, parseCidr, parseIp } from './ipam/ipv4.js';
import { JsonDir } from './json-dir.js';
import { ForbiddenError, OPT_ICC, OPT_MASQUERADE, optionFlag, type NetworkRecord } from './network-record.js';
import type { NetworkingOptions } from './network-options.js';
import { NetworkTable, type CreateNetworkRequest } from './network-table.js';
import { Firewall } from './nft/firewall.js';
import { NftPublisher } from './ports/nft-publisher.js';
import { PortAllocator } from './ports/port-allocator.js';
import { portRequests } from './ports/port-requests.js';
import { publishPorts, unpublishPorts } from './ports/publish-ports.js';
import { UserlandProxy } from './ports/userland-proxy.js';
import { attachVeth, deleteInside, deleteLink, loopbackUp, setSysctl } from './sys/links.js';

export async function startNetworking(options: NetworkingOptions): Promise<NetworkService> {
  const service = new NetworkService(options);
  await service.start();
  return service;
}

export class NetworkService implements Networking {
  readonly table: NetworkTable;
  private readonly store: JsonDir<ContainerRecord>;
  private containers = new Map<string, ContainerRecord>();
  private readonly allocator = new PortAllocator();
  private readonly firewall: Firewall;
  private readonly publisher: PortPublisher;
  private readonly dns: EmbeddedDns;
  private lock: Promise<unknown> = Promise.resolve();
  private hostResolv = '';

  constructor(readonly options: NetworkingOptions) {
    this.table = new NetworkTable(options);
    this.store = new JsonDir(join(options.dataRoot, 'network', 'endpoints'));
    this.firewall = new Firewall(options.instance);
    this.publisher = options.userlandProxy ? new UserlandProxy() : new NftPublisher(this.firewall, (ip) => this.bridgeFor(ip));
    const names = new NameDirectory(
      { network: (id) => this.table.all().find((record) => record.Id === id), endpointsOn: (id) => this.endpointsOn(id) },
      () => this.engineUpstreams(),
    );
    this.dns = new EmbeddedDns(names);
  }

  async start(): Promise<void> {
    this.hostResolv = await hostResolvConf(this.options.resolvConfPath);
    await this.table.load();
    // Outbound NAT needs forwarding (Docker sets it too).
    await setSysctl('net/ipv4/ip_forward', '1');
    await this.syncNetworks();
    this.containers = await this.store.loadAll();
    for (const record of this.containers.values()) {
      if (record.netnsPath === undefined) continue;
      if (!existsSync(record.netnsPath)) {
        // The container died while the engine was down: its veths went with its netns.
        await this.detachRecord(record);
        continue;
      }
      // Still running (live restore): its addresses stay; the ports are opened again (the proxy died with the old engine).
      const ports = record.ports;
      record.ports = [];
      for (const port of ports) {
        this.allocator.reserve(port.proto, port.hostIp, port.hostPort);
        await this.publisher.publish(port).then(() => record.ports.push(port), () => this.allocator.release(port.proto, port.hostIp, port.hostPort));
      }
      await this.publisher.flush?.();
      await this.store.put(record.id, record);
    }
  }

  /**
   * Stops the DNS listeners and proxies. Kernel objects nothing uses any more go (the nftables table,
   * bridges without endpoints; the next start makes them again), so a host-mode engine leaves the
   * host as it found it; with containers still running (live restore) the table and their bridges stay.
   */
  async close(): Promise<void> {
    await this.dns.close();
    await this.publisher.close();
    const busy = new Set([...this.containers.values()].flatMap((record) => Object.keys(record.endpoints)));
    if (busy.size === 0) await this.firewall.remove().catch(() => undefined);
    for (const network of this.table.all()) {
      if (network.Bridge && !busy.has(network.Id)) await deleteLink(network.Bridge).catch(() => undefined);
    }
  }

  // ---- networks (routes.ts) ----

  createNetwork(request: CreateNetworkRequest): Promise<NetworkRecord> {
    return this.locked(async () => {
      const record = await this.table.create(request);
      await this.syncNetworks();
      return record;
    });
  }

  removeNetwork(idOrName: string): Promise<void> {
    return this.locked(async () => {
      const record = this.table.find(idOrName);
      await this.table.remove(record, this.endpointsOn(record.Id).length > 0);
      await this.dns.stop(record.Id);
      await this.syncNetworks();
    });
  }

  /** Live endpoints on a network with their container (network inspect's Containers). */
  endpointsOn(networkId: string): { record: ContainerRecord; endpoint: LiveEndpoint }[] {
    const found: { record: ContainerRecord; endpoint: LiveEndpoint }[] = [];
    for (const record of this.containers.values()) {
      const endpoint = record.endpoints[networkId];
      if (endpoint) found.push({ record, endpoint });
    }
    return found;
  }

  /** Containers configured on the network, running or not (prune keeps those networks). */
  isUsed(networkId: string): boolean {
    return [...this.containers.values()].some((record) => networkId in record.networks);
  }

  connect(networkIdOrName: string, containerIdOrName: string, request: EndpointRequest): Promise<void> {
    return this.locked(async () => {
      const network = this.table.find(networkIdOrName);
      const found = await this.lookupContainer(containerIdOrName);
      const record = this.containers.get(found.id) ?? (await this.newRecord(found.id, found.spec));
      const mode = modeOf(record.spec);
      if (mode.kind !== 'networks' || network.Driver !== 'bridge') {
        throw new ForbiddenError(`container cannot be disconnected from host network or connected to host network`);
      }
      if (network.Id in record.networks) {
        throw new ForbiddenError(`endpoint with name ${record.spec.name} already exists in network ${network.Name}`);
      }
      record.networks[network.Id] = request;
      try {
        if (record.netnsPath !== undefined) {
          await this.attachEndpoint(record, network, false);
          await this.redirectDns(record);
        }
      } catch (error) {
        delete record.networks[network.Id];
        throw error;
      }
      await this.store.put(record.id, record);
    });
  }

  disconnect(networkIdOrName: string, containerIdOrName: string): Promise<void> {
    return this.locked(async () => {
      const network = this.table.find(networkIdOrName);
      const found = await this.lookupContainer(containerIdOrName);
      const record = this.containers.get(found.id);
      if (!record || !(network.Id in record.networks)) {
        throw new ForbiddenError(`container ${found.id} is not connected to network ${network.Name}`);
      }
      const endpoint = record.endpoints[network.Id];
      if (endpoint && record.netnsPath && existsSync(record.netnsPath)) {
        await deleteInside(record.netnsPath, endpoint.ifname).catch(() => deleteLink(endpoint.hostVeth));
      } else if (endpoint) {
        await deleteLink(endpoint.hostVeth);
      }
      if (endpoint) this.disconnected(network.Id, record.id);
      delete record.endpoints[network.Id];
      delete record.networks[network.Id];
      if (endpoint && record.netnsPath && existsSync(record.netnsPath)) await this.redirectDns(record);
      await this.store.put(record.id, record);
    });
  }

  // ---- containers (Networking) ----

  prepare(containerId: string, spec: ContainerNetworkSpec): Promise<NetworkSettings> {
    return this.locked(async () => {
      const record = await this.newRecord(containerId, spec);
      await this.store.put(containerId, record);
      return this.settingsOf(record);
    });
  }

  attach(containerId: string, netnsPath: string, spec?: ContainerNetworkSpec): Promise<AttachResult> {
    return this.locked(async () => {
      let record = this.containers.get(containerId);
      if (!record) {
        if (!spec) throw new TsdError('not-found', `no network configuration for container ${containerId}`);
        record = await this.newRecord(containerId, spec);
      } else if (spec) {
        record.spec = spec;
      }
      if (record.netnsPath !== undefined) await this.detachRecord(record);
      record.netnsPath = netnsPath;
      try {
        return await this.attachRecord(record);
      } catch (error) {
        await this.detachRecord(record).catch(() => undefined);
        throw error;
      }
    });
  }

  detach(containerId: string): Promise<void> {
    return this.locked(async () => {
      const record = this.containers.get(containerId);
      if (record) await this.detachRecord(record);
    });
  }

  release(containerId: string): Promise<void> {
    return this.locked(async () => {
      const record = this.containers.get(containerId);
      if (record) await this.detachRecord(record);
      this.containers.delete(containerId);
      await this.store.delete(containerId);
    });
  }

  settings(containerId: string): NetworkSettings | undefined {
    const record = this.containers.get(containerId);
    return record ? this.settingsOf(record) : undefined;
  }

  // ---- internals ----

  private async newRecord(id: string, spec: ContainerNetworkSpec): Promise<ContainerRecord> {
    const networks = networksOf(spec, (idOrName) => this.table.find(idOrName));
    const record: ContainerRecord = { id, spec, networks, endpoints: {}, ports: [] };
    this.containers.set(id, record);
    return record;
  }

  private async attachRecord(record: ContainerRecord): Promise<AttachResult> {
    const mode = modeOf(record.spec);
    const netnsPath = record.netnsPath!;
    // Docker: the container's Dns, else the daemon's; search and options are the container's.
    const resolvInput = { hostText: this.hostResolv, dns: record.spec.dns?.length ? record.spec.dns : this.options.dns, dnsSearch: record.spec.dnsSearch, dnsOptions: record.spec.dnsOptions };
    if (mode.kind === 'host' || mode.kind === 'container') {
      await this.store.put(record.id, record);
      const hosts = await readFile('/etc/hosts', 'utf8').catch(() => renderHosts([]));
      return { settings: this.settingsOf(record), resolvConf: renderResolvConf({ ...resolvInput, hostNetwork: mode.kind === 'host' }), hosts };
    }
    // (each endpoint's batch inside the netns brings lo up too; `none` has no endpoint)
    if (mode.kind === 'none') await loopbackUp(netnsPath);
    let first = true;
    for (const networkId of Object.keys(record.networks)) {
      if (mode.kind !== 'networks') break;
      await this.attachEndpoint(record, this.table.find(networkId), first);
      first = false;
    }
    const endpoints = Object.values(record.endpoints);
    const primary = endpoints[0];
    if (primary) {
      const requests = portRequests(record.spec.portBindings, record.spec.publishAll === true, record.spec.exposedPorts);
      record.ports = await publishPorts(requests, primary.ip, this.allocator, this.publisher, this.options.publishHook);
    }
    const userNetwork = this.firstUserEndpoint(record);
    if (userNetwork) await pointEmbeddedDns(netnsPath, { gateway: userNetwork.gateway, source: userNetwork.ip });
    await this.store.put(record.id, record);
    const hostname = record.spec.hostname || record.id.slice(0, 12);
    const names = record.spec.domainname ? [`${hostname}.${record.spec.domainname}`, hostname] : [hostname];
    return {
      settings: this.settingsOf(record),
      resolvConf: renderResolvConf({ ...resolvInput, embedded: userNetwork !== undefined }),
      hosts: renderHosts(primary ? [{ ip: primary.ip, names }] : [], record.spec.extraHosts, primary?.gateway),
    };
  }

  private async attachEndpoint(record: ContainerRecord, network: NetworkRecord, defaultRoute: boolean): Promise<void> {
    const config = network.IPAM.Config[0]!;
    const request = record.networks[network.Id] ?? {};
    const used = new Set(this.endpointsOn(network.Id).map(({ endpoint }) => endpoint.ip));
    const ip = request.IPAMConfig?.IPv4Address ? checkAddress(config, request.IPAMConfig.IPv4Address, used) : pickAddress(config, used);
    const prefix = parseCidr(config.Subnet).prefix;
    const taken = new Set(Object.values(record.endpoints).map((endpoint) => endpoint.ifname));
    let index = 0;
    while (taken.has(`eth${index}`)) index++;
    const endpoint: LiveEndpoint = {
      networkId: network.Id,
      endpointId: randomBytes(32).toString('hex'),
      ifname: `eth${index}`,
      hostVeth: `v${record.id.slice(0, 7)}${network.Id.slice(0, 6)}`,
      ip,
      prefix,
      gateway: config.Gateway,
      mac: request.MacAddress || macFor(parseIp(ip)),
      dnsNames: [record.spec.name, ...(request.Aliases ?? []), record.id.slice(0, 12), ...(record.spec.hostname ? [record.spec.hostname] : [])],
    };
    await attachVeth({
      hostName: endpoint.hostVeth,
      ifname: endpoint.ifname,
      bridge: network.Bridge!,
      netnsPath: record.netnsPath!,
      ip,
      prefix,
      mac: endpoint.mac,
      mtu: this.options.mtu,
      gateway: defaultRoute ? config.Gateway : undefined,
      isolated: !optionFlag(network, OPT_ICC, true),
      hairpin: !this.options.userlandProxy,
    });
    record.endpoints[network.Id] = endpoint;
    this.options.events?.('connect', { id: network.Id, name: network.Name }, record.id);
  }

  /** The container's first endpoint on a user network: its 127.0.0.11 goes to that network's DNS. */
  private firstUserEndpoint(record: ContainerRecord): LiveEndpoint | undefined {
    return Object.values(record.endpoints).find((endpoint) => this.table.all().find((network) => network.Id === endpoint.networkId)?.Name !== 'bridge');
  }

  /** After connect/disconnect: 127.0.0.11 follows the first user network left (none: plain loopback again). */
  private async redirectDns(record: ContainerRecord): Promise<void> {
    const target = this.firstUserEndpoint(record);
    if (target) await pointEmbeddedDns(record.netnsPath!, { gateway: target.gateway, source: target.ip });
    else await removeEmbeddedDns(record.netnsPath!);
  }

  private async detachRecord(record: ContainerRecord): Promise<void> {
    await unpublishPorts(record.ports, this.allocator, this.publisher, this.options.publishHook);
    record.ports = [];
    for (const endpoint of Object.values(record.endpoints)) {
      await deleteLink(endpoint.hostVeth).catch(() => undefined);
      this.disconnected(endpoint.networkId, record.id);
    }
    record.endpoints = {};
    delete record.netnsPath;
    await this.store.put(record.id, record);
  }

  private disconnected(networkId: string, containerId: string): void {
    const network = this.table.all().find((candidate) => candidate.Id === networkId);
    if (network) this.options.events?.('disconnect', { id: network.Id, name: network.Name }, containerId);
  }

  private settingsOf(record: ContainerRecord): NetworkSettings {
    return networkSettings(record, (id) => this.table.all().find((network) => network.Id === id));
  }

  /** Firewall table, DNS listeners and (DNAT mode) route_localnet for the current networks. */
  private async syncNetworks(): Promise<void> {
    const bridges = this.table.all().filter((network) => network.Driver === 'bridge');
    await this.firewall.setNetworks(
      bridges.map((network) => ({
        bridge: network.Bridge!,
        subnet: network.IPAM.Config[0]!.Subnet,
        internal: network.Internal,
        masquerade: optionFlag(network, OPT_MASQUERADE, true),
      })),
    );
    for (const network of bridges) {
      if (!this.options.userlandProxy) await setSysctl(`net/ipv4/conf/${network.Bridge}/route_localnet`, '1');
      if (network.Name === 'bridge') continue;
      // A resolver already holding port 53 on every address (dnsmasq on 0.0.0.0) must not take the
      // whole network down: names on this network then go unanswered, and the log says why.
      await this.dns.serve(network.Id, network.IPAM.Config[0]!.Gateway).catch((error: Error) => {
        console.error(`dockerd: embedded DNS for network ${network.Name} on ${network.IPAM.Config[0]!.Gateway}:53: ${error.message}`);
      });
    }
  }

  /** The engine's upstreams: options.upstreams (tests), daemon.json dns, else the host's resolv.conf. */
  private engineUpstreams(): Upstream[] {
    if (this.options.upstreams) return this.options.upstreams;
    const servers = this.options.dns.length > 0 ? this.options.dns : parseResolvConf(this.hostResolv).nameservers;
    return servers.filter((server) => !server.includes(':')).map((host) => ({ host, port: 53 }));
  }

  private bridgeFor(ip: string): string {
    const address = parseIp(ip);
    const network = this.table.all().find((record) => record.Bridge && contains(parseCidr(record.IPAM.Config[0]!.Subnet), address));
    if (!network?.Bridge) throw new TsdError('internal', `no bridge holds ${ip}`);
    return network.Bridge;
  }

  private async lookupContainer(idOrName: string): Promise<{ id: string; spec: ContainerNetworkSpec }> {
    if (this.options.containers) return await this.options.containers.find(idOrName);
    // Every created container has a record (prepare); ids, names and unique id prefixes find it.
    const all = [...this.containers.values()];
    const name = idOrName.replace(/^\//, '');
    const byPrefix = all.filter((r) => r.id.startsWith(idOrName));
    const record = this.containers.get(idOrName) ?? all.find((r) => r.spec.name === name) ?? (byPrefix.length === 1 ? byPrefix[0] : undefined);
    if (!record) throw new TsdError('not-found', `No such container: ${idOrName}`);
    return record;
  }

  private locked<T>(step: () => Promise<T>): Promise<T> {
    const next = this.lock.then(step, step);
    this.lock = next.catch(() => undefined);
    return next;
  }
}
