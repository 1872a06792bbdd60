/**
 * The engine's networks: the predefined bridge/host/none, user-defined bridges, their IPAM and their
 * Linux bridges. Owns the records under DATA_ROOT/network/networks/; knows nothing of containers
 * (the service passes "in use" in).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TsdError } from '../../api/errors.js';
import { checkIpamConfig, pickSubnet, type IpamConfig } from './ipam/allocator.js';
import { formatCidr, formatIp, parseCidr, type Cidr } from './ipam/ipv4.js';
import { JsonDir } from './json-dir.js';
import {
  checkNetworkName,
  ForbiddenError,
  isPredefined,
  OPT_BRIDGE_NAME,
  OPT_ICC,
  OPT_MASQUERADE,
  OPT_MTU,
  type NetworkRecord,
} from './network-record.js';
import type { NetworkingOptions } from './network-options.js';
import { deleteLink, ensureBridge, kernelRoutes } from './sys/links.js';

export interface CreateNetworkRequest {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: Partial<IpamConfig>[] | null; Options?: Record<string, string> | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export class NetworkTable {
  private readonly store: JsonDir<NetworkRecord>;
  private records = new Map<string, NetworkRecord>();

  constructor(private readonly options: NetworkingOptions) {
    this.store = new JsonDir(join(options.dataRoot, 'network', 'networks'));
  }

  /** Loads the records, creates the predefined networks, and (re)creates every bridge (after a reboot they are gone). */
  async load(): Promise<void> {
    this.records = await this.store.loadAll();
    await this.ensureDefaultBridge();
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (!this.byName(name)) await this.save(this.newRecord(name, driver, [], {}));
    }
    for (const record of this.records.values()) {
      if (record.Bridge) await this.ensureLinuxBridge(record);
    }
  }

  all(): NetworkRecord[] {
    return [...this.records.values()];
  }

  /** By full id, exact name, or unique id prefix; Docker's 404 otherwise. */
  find(idOrName: string): NetworkRecord {
    const exact = this.records.get(idOrName) ?? this.byName(idOrName);
    if (exact) return exact;
    const prefixed = idOrName.length > 0 ? this.all().filter((record) => record.Id.startsWith(idOrName)) : [];
    if (prefixed.length === 1) return prefixed[0]!;
    if (prefixed.length > 1) throw new TsdError('invalid-argument', `network ${idOrName} is ambiguous (${prefixed.length} matches found based on ID prefix)`);
    throw new TsdError('not-found', `network ${idOrName} not found`);
  }

  async create(request: CreateNetworkRequest): Promise<NetworkRecord> {
    const name = checkNetworkName(request.Name);
    if (this.byName(name)) throw new TsdError('conflict', `network with name ${name} already exists`);
    const driver = request.Driver || 'bridge';
    if (driver !== 'bridge') {
      if (driver === 'host' || driver === 'null') throw new ForbiddenError(`only one instance of "${driver}" network is allowed`);
      throw new TsdError('not-found', `plugin "${driver}" not found`);
    }
    if (request.EnableIPv6) throw new TsdError('unsupported', 'IPv6 networks are not supported by this engine');
    const taken = await this.takenSubnets();
    const requested = request.IPAM?.Config ?? [];
    if (requested.length > 1) throw new TsdError('unsupported', 'only one IPv4 subnet per network is supported');
    const config = requested[0]?.Subnet || requested[0]?.Gateway || requested[0]?.IPRange
      ? checkIpamConfig(requested[0], taken)
      : withGateway(pickSubnet(this.options.addressPools, taken));
    const record = this.newRecord(name, 'bridge', [config], request.Options ?? {}, request.Labels ?? {});
    record.Internal = request.Internal === true;
    record.Attachable = request.Attachable === true;
    record.Bridge = request.Options?.[OPT_BRIDGE_NAME] || `br-${record.Id.slice(0, 12)}`;
    if (record.Bridge.length > 15) throw new TsdError('invalid-argument', `bridge name ${record.Bridge} is longer than 15 characters`);
    await this.ensureLinuxBridge(record);
    await this.save(record);
    return record;
  }

  /** Removes a user network; `inUse` says whether running containers have endpoints on it. */
  async remove(record: NetworkRecord, inUse: boolean): Promise<void> {
    if (isPredefined(record)) throw new ForbiddenError(`${record.Name} is a pre-defined network and cannot be removed`);
    if (inUse) throw new TsdError('conflict', `error while removing network: network ${record.Name} id ${record.Id} has active endpoints`);
    if (record.Bridge) await deleteLink(record.Bridge);
    this.records.delete(record.Id);
    await this.store.delete(record.Id);
  }

  private async ensureDefaultBridge(): Promise<void> {
    const existing = this.byName('bridge');
    const config = this.options.bip ? bipConfig(this.options.bip) : existing?.IPAM.Config[0];
    const record = existing ?? this.newRecord('bridge', 'bridge', [], defaultBridgeOptions(this.options));
    record.Bridge = this.options.bridgeName;
    record.Options = defaultBridgeOptions(this.options);
    record.IPAM.Config = [config ?? withGateway(pickSubnet(this.options.addressPools, await this.takenSubnets(record.Id)))];
    await this.save(record);
  }

  private async ensureLinuxBridge(record: NetworkRecord): Promise<void> {
    const config = record.IPAM.Config[0]!;
    const prefix = parseCidr(config.Subnet).prefix;
    const mtu = Number(record.Options[OPT_MTU] ?? this.options.mtu);
    await ensureBridge({ name: record.Bridge!, gatewayCidr: `${config.Gateway}/${prefix}`, mtu });
  }

  /** Subnets a new network must not overlap: other networks' and the kernel's routes (minus our own bridges'). */
  private async takenSubnets(except?: string): Promise<Cidr[]> {
    const ours = this.all().filter((record) => record.Id !== except && record.IPAM.Config[0]);
    const ownSubnets = new Set(ours.map((record) => record.IPAM.Config[0]!.Subnet));
    const exceptSubnet = except ? this.records.get(except)?.IPAM.Config[0]?.Subnet : undefined;
    const routes = (await kernelRoutes()).filter((route) => {
      const text = formatCidr(route);
      return !ownSubnets.has(text) && text !== exceptSubnet;
    });
    return [...ours.map((record) => parseCidr(record.IPAM.Config[0]!.Subnet)), ...routes];
  }

  private byName(name: string): NetworkRecord | undefined {
    return this.all().find((record) => record.Name === name);
  }

  private newRecord(name: string, driver: NetworkRecord['Driver'], config: IpamConfig[], options: Record<string, string>, labels: Record<string, string> = {}): NetworkRecord {
    return {
      Id: randomBytes(32).toString('hex'),
      Name: name,
      Created: new Date().toISOString(),
      Driver: driver,
      Internal: false,
      Attachable: false,
      IPAM: { Driver: 'default', Options: null, Config: config },
      Options: options,
      Labels: labels,
    };
  }

  private async save(record: NetworkRecord): Promise<void> {
    await this.store.put(record.Id, record);
    this.records.set(record.Id, record);
  }
}

function withGateway(subnet: Cidr): IpamConfig {
  return { Subnet: formatCidr(subnet), Gateway: formatIp(subnet.network + 1) };
}

/** daemon.json "bip" is the gateway with the prefix: "10.20.0.1/24". */
function bipConfig(bip: string): IpamConfig {
  const cidr = parseCidr(bip);
  return { Subnet: formatCidr(cidr), Gateway: formatIp(cidr.address) };
}

function defaultBridgeOptions(options: NetworkingOptions): Record<string, string> {
  return {
    'com.docker.network.bridge.default_bridge': 'true',
    [OPT_ICC]: String(options.icc),
    [OPT_MASQUERADE]: 'true',
    'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
    [OPT_BRIDGE_NAME]: options.bridgeName,
    [OPT_MTU]: String(options.mtu),
  };
}
