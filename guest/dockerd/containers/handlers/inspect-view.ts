/** The record as Docker's inspect and list shapes (adds NetworkSettings, GraphDriver, ExecIDs). */
import type { NetworkSettings } from '../../network/api.js';
import type { ContainerRecord } from '../store/container-record.js';
import { humanStatus } from '../store/container-record.js';

export function emptyNetworkSettings(): NetworkSettings {
  return {
    Bridge: '', SandboxID: '', SandboxKey: '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0, Ports: {},
    SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: '', Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
    IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', MacAddress: '', Networks: {},
  };
}

export function inspectView(record: ContainerRecord, network: NetworkSettings | undefined, execIds: string[], sizes?: { rw: number; rootFs: number }): Record<string, unknown> {
  const { Internal: _internal, ...visible } = record;
  const view: Record<string, unknown> = {
    Id: record.ID,
    ...visible,
    ExecIDs: execIds.length > 0 ? execIds : null,
    GraphDriver: { Data: null, Name: record.Driver },
    NetworkSettings: network ?? emptyNetworkSettings(),
  };
  delete view.ID;
  if (sizes) {
    view.SizeRw = sizes.rw;
    view.SizeRootFs = sizes.rootFs;
  }
  return view;
}

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export function portSummaries(record: ContainerRecord, network: NetworkSettings | undefined): PortSummary[] {
  const ports: PortSummary[] = [];
  const bound = network?.Ports ?? {};
  const keys = new Set([...Object.keys(record.Config.ExposedPorts ?? {}), ...Object.keys(bound)]);
  for (const key of keys) {
    const [port, type = 'tcp'] = key.split('/');
    const bindings = record.State.Running ? bound[key] : null;
    if (!bindings || bindings.length === 0) ports.push({ PrivatePort: Number(port), Type: type });
    else for (const b of bindings) ports.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
  }
  return ports;
}

export function summaryView(record: ContainerRecord, network: NetworkSettings | undefined, sizes?: { rw: number; rootFs: number }): Record<string, unknown> {
  const summary: Record<string, unknown> = {
    Id: record.ID,
    Names: [record.Name],
    Image: record.Config.Image ?? record.Image,
    ImageID: record.Image,
    Command: [record.Path, ...record.Args].join(' '),
    Created: Math.floor(Date.parse(record.Created) / 1000),
    Ports: portSummaries(record, network),
    Labels: record.Config.Labels ?? {},
    State: record.State.Status,
    Status: humanStatus(record.State),
    HostConfig: { NetworkMode: record.HostConfig.NetworkMode ?? 'bridge' },
    NetworkSettings: { Networks: network?.Networks ?? {} },
    Mounts: record.Mounts,
  };
  if (sizes) {
    summary.SizeRw = sizes.rw;
    summary.SizeRootFs = sizes.rootFs;
  }
  return summary;
}
