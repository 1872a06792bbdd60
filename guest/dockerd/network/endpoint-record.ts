/**
 * A container's networking as persisted (DATA_ROOT/network/endpoints/<id>.json) and its projection
 * into Docker's NetworkSettings (pure).
 */
import type { ContainerNetworkSpec, EndpointRequest, EndpointSettings, NetworkSettings, PortMap, Publication } from './api.js';
import { TsdError } from '../../api/errors.js';
import type { NetworkRecord } from './network-record.js';

export interface LiveEndpoint {
  networkId: string;
  endpointId: string;
  /** name inside the container */
  ifname: string;
  hostVeth: string;
  ip: string;
  prefix: number;
  gateway: string;
  mac: string;
  /** names the embedded DNS answers with this address on this network */
  dnsNames: string[];
}

export interface ContainerRecord {
  id: string;
  spec: ContainerNetworkSpec;
  /** Networks the container is on, by network id, in attach order (connect/disconnect edit this). */
  networks: Record<string, EndpointRequest>;
  /** Set while attached. */
  netnsPath?: string;
  endpoints: Record<string, LiveEndpoint>;
  ports: Publication[];
}

/** The container's mode as a discriminated value. */
export type Mode = { kind: 'host' } | { kind: 'none' } | { kind: 'container'; target: string } | { kind: 'networks' };

export function modeOf(spec: ContainerNetworkSpec): Mode {
  const mode = spec.networkMode || 'default';
  if (mode === 'host') return { kind: 'host' };
  if (mode === 'none') return { kind: 'none' };
  if (mode.startsWith('container:')) return { kind: 'container', target: mode.slice('container:'.length) };
  return { kind: 'networks' };
}

/**
 * The networks a new container is on, by id, primary first: its NetworkMode's network, then the
 * other EndpointsConfig entries (host/none: that one network). `find` throws Docker's 404.
 */
export function networksOf(spec: ContainerNetworkSpec, find: (idOrName: string) => NetworkRecord): Record<string, EndpointRequest> {
  const networks: Record<string, EndpointRequest> = {};
  const mode = modeOf(spec);
  if (mode.kind === 'host' || mode.kind === 'none') networks[find(mode.kind).Id] = {};
  if (mode.kind !== 'networks') return networks;
  const primary = spec.networkMode === 'default' || !spec.networkMode ? 'bridge' : spec.networkMode;
  const primaryRecord = find(primary);
  if (primaryRecord.Driver !== 'bridge') throw new TsdError('invalid-argument', `network ${primary} cannot be used as a container network mode`);
  networks[primaryRecord.Id] = {};
  for (const [name, request] of Object.entries(spec.endpoints ?? {})) {
    const network = find(name);
    if (request?.IPAMConfig?.IPv4Address && network.Name === 'bridge') {
      throw new TsdError('invalid-argument', 'user specified IP address is supported on user defined networks only');
    }
    if (network.Driver !== 'bridge') throw new TsdError('invalid-argument', `container cannot be connected to network ${name} and to ${primary}`);
    networks[network.Id] = request ?? {};
  }
  return networks;
}

function endpointSettings(request: EndpointRequest | undefined, network: NetworkRecord | undefined, live: LiveEndpoint | undefined): EndpointSettings {
  return {
    IPAMConfig: request?.IPAMConfig ?? null,
    Links: null,
    Aliases: request?.Aliases?.length ? request.Aliases : null,
    MacAddress: live?.mac ?? '',
    DriverOpts: request?.DriverOpts ?? null,
    NetworkID: network?.Id ?? '',
    EndpointID: live?.endpointId ?? '',
    Gateway: live?.gateway ?? '',
    IPAddress: live?.ip ?? '',
    IPPrefixLen: live?.prefix ?? 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: live && network && network.Name !== 'bridge' ? live.dnsNames : null,
  };
}

export function portMapOf(spec: ContainerNetworkSpec, ports: Publication[]): PortMap {
  const map: PortMap = {};
  for (const key of spec.exposedPorts ?? []) map[key.includes('/') ? key : `${key}/tcp`] = null;
  for (const key of Object.keys(spec.portBindings ?? {})) map[key.includes('/') ? key : `${key}/tcp`] = null;
  for (const port of ports) {
    const key = `${port.containerPort}/${port.proto}`;
    (map[key] ??= []).push({ HostIp: port.hostIp, HostPort: String(port.hostPort) });
  }
  return map;
}

export function networkSettings(record: ContainerRecord, networks: (id: string) => NetworkRecord | undefined): NetworkSettings {
  const mode = modeOf(record.spec);
  const entries: Record<string, EndpointSettings> = {};
  if (mode.kind === 'host' || mode.kind === 'none') {
    const network = [...Object.keys(record.networks)].map(networks).find(Boolean);
    entries[mode.kind] = endpointSettings(undefined, network, undefined);
  } else if (mode.kind === 'networks') {
    for (const [id, request] of Object.entries(record.networks)) {
      const network = networks(id);
      if (network) entries[network.Name] = endpointSettings(request, network, record.endpoints[id]);
    }
  }
  const onBridge = Object.values(record.endpoints).find((live) => networks(live.networkId)?.Name === 'bridge');
  const attached = record.netnsPath !== undefined;
  return {
    Bridge: '',
    SandboxID: attached ? record.id : '',
    SandboxKey: record.netnsPath ?? '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: attached ? portMapOf(record.spec, record.ports) : {},
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: onBridge?.endpointId ?? '',
    Gateway: onBridge?.gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: onBridge?.ip ?? '',
    IPPrefixLen: onBridge?.prefix ?? 0,
    IPv6Gateway: '',
    MacAddress: onBridge?.mac ?? '',
    Networks: entries,
  };
}
