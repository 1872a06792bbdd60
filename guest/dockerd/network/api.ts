/**
 * What the rest of dockerd sees of networking: the Networking interface the container code calls at
 * create/start/stop/remove, the Docker-shaped fragments it puts into container inspect, and the
 * PortPublisher hook the VM side implements. Vocabulary: a *network* is a bridge with a subnet; an
 * *endpoint* is one container's veth on one network; a *publication* is one host port forwarded to
 * one container port.
 */

/** Docker's port key, "80/tcp"; the value lists host bindings (HostConfig.PortBindings shape). */
export type PortMap = Record<string, PortBinding[] | null>;
export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

/** NetworkingConfig.EndpointsConfig[network] as the API receives it (the fields we honour). */
export interface EndpointRequest {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string } | null;
  MacAddress?: string;
  DriverOpts?: Record<string, string> | null;
}

/** What the container code knows about a container's networking, from its create config. */
export interface ContainerNetworkSpec {
  /** Container name without the leading "/". */
  name: string;
  hostname?: string;
  domainname?: string;
  /** HostConfig.NetworkMode: "default" | "bridge" | "none" | "host" | "container:ID" | a network name or id. */
  networkMode: string;
  /** NetworkingConfig.EndpointsConfig (extra aliases, fixed IPs, more networks). */
  endpoints?: Record<string, EndpointRequest>;
  portBindings?: PortMap;
  publishAll?: boolean;
  /** Config.ExposedPorts keys ("80/tcp"); with publishAll each gets an ephemeral host port. */
  exposedPorts?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** HostConfig.ExtraHosts: "name:ip" ("host-gateway" becomes the network's gateway). */
  extraHosts?: string[];
}

/** One entry of NetworkSettings.Networks (Docker's EndpointSettings shape). */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address?: string } | null;
  Links: null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

/** Container inspect's NetworkSettings (the fields Docker 28 prints; the legacy top-level ones mirror the default bridge). */
export interface NetworkSettings {
  Bridge: string;
  SandboxID: string;
  SandboxKey: string;
  HairpinMode: boolean;
  LinkLocalIPv6Address: string;
  LinkLocalIPv6PrefixLen: number;
  Ports: PortMap;
  SecondaryIPAddresses: null;
  SecondaryIPv6Addresses: null;
  EndpointID: string;
  Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  MacAddress: string;
  Networks: Record<string, EndpointSettings>;
}

/** What the container code writes into the container (files it bind-mounts, like Docker does). */
export interface AttachResult {
  settings: NetworkSettings;
  /** Content for the container's /etc/resolv.conf. */
  resolvConf: string;
  /** Content for the container's /etc/hosts. */
  hosts: string;
}

/** How /networks/{id}/connect finds a container (implemented by the container code). */
export interface ContainerLookup {
  /** Resolves a name, id or id prefix; throws TsdError not-found like the container routes do. */
  find(idOrName: string): Promise<{ id: string; name: string; spec: ContainerNetworkSpec; netnsPath?: string }>;
  /** Ids of containers that exist (for pruning stale endpoints at start-up). */
  ids(): Promise<string[]>;
}

/** The networking service (network-service.ts implements it). */
export interface Networking {
  /** At container create: validates the mode and networks (404 for a missing network) and records the spec. */
  prepare(containerId: string, spec: ContainerNetworkSpec): Promise<NetworkSettings>;
  /**
   * At container start, after the init exists and before it runs: veths into `netnsPath`, addresses,
   * routes, DNS records, published ports. The spec replaces the recorded one except for networks
   * connected/disconnected at run time. Undone by detach on any failure.
   */
  attach(containerId: string, netnsPath: string, spec?: ContainerNetworkSpec): Promise<AttachResult>;
  /** At container stop/exit: releases addresses, ports, DNS names, host veths. Idempotent; safe after a crash. */
  detach(containerId: string): Promise<void>;
  /** At container remove: forgets the container. Idempotent. */
  release(containerId: string): Promise<void>;
  /** NetworkSettings for container inspect (IPs empty when not running). */
  settings(containerId: string): NetworkSettings | undefined;
  /** Stops DNS servers and proxies; removes the nftables table and bridges unless running containers still use them. */
  close(): Promise<void>;
}

/** One host port forwarded to one container port. */
export interface Publication {
  proto: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

/**
 * Makes a publication reachable. The engine's own publisher (userland proxy or nftables DNAT) binds
 * on this machine; `PublishHook` lets the VM side also open the same port on the user's host before
 * the container start returns (called in-process, awaited; a throw fails the start).
 */
export interface PortPublisher {
  publish(publication: Publication): Promise<void>;
  unpublish(publication: Publication): Promise<void>;
  /** Publishers that batch kernel updates (DNAT) apply pending ones here; callers flush after a set of changes. */
  flush?(): Promise<void>;
  close(): Promise<void>;
}

export interface PublishHook {
  published(publications: Publication[]): Promise<void>;
  unpublished(publications: Publication[]): Promise<void>;
}
