/**
 * Turns a container's PortBindings / PublishAllPorts / ExposedPorts into the list of host ports to
 * open (pure). Docker's rules: "" host IP is 0.0.0.0, "" host port is ephemeral, a host port
 * "8000-8010" means any free port of the range; -P publishes every exposed port without a binding.
 */
import { TsdError } from '../../../api/errors.js';
import type { PortMap } from '../api.js';
import { parseIp } from '../ipam/ipv4.js';

export type Proto = 'tcp' | 'udp';

export interface PortRequest {
  proto: Proto;
  containerPort: number;
  hostIp: string;
  /** candidate host ports, lowest first; [] means any ephemeral port */
  hostPorts: { from: number; to: number } | undefined;
}

export function parsePortKey(key: string): { port: number; proto: Proto } {
  const match = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(key);
  const port = match ? Number(match[1]) : NaN;
  if (!match || port < 1 || port > 65535) throw new TsdError('invalid-argument', `invalid port specification: "${key}"`);
  if (match[2] === 'sctp') throw new TsdError('unsupported', 'sctp ports are not supported');
  return { port, proto: (match[2] ?? 'tcp') as Proto };
}

function parseHostPorts(text: string | undefined): PortRequest['hostPorts'] {
  if (text === undefined || text === '' || text === '0') return undefined;
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  const from = match ? Number(match[1]) : NaN;
  const to = match?.[2] ? Number(match[2]) : from;
  if (!match || from < 1 || to > 65535 || to < from) throw new TsdError('invalid-argument', `invalid hostPort: ${text}`);
  return { from, to };
}

function parseHostIp(text: string | undefined): string | undefined {
  if (!text) return '0.0.0.0';
  if (text.includes(':')) return undefined; // IPv6 bindings (the CLI adds "::" beside 0.0.0.0): IPv4 only here
  parseIp(text);
  return text;
}

export function portRequests(bindings: PortMap | undefined, publishAll: boolean, exposed: string[] = []): PortRequest[] {
  const requests: PortRequest[] = [];
  const bound = new Set<string>();
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const { port, proto } = parsePortKey(key);
    bound.add(`${port}/${proto}`);
    for (const binding of list ?? [{}]) {
      const hostIp = parseHostIp(binding.HostIp);
      if (hostIp === undefined) continue;
      requests.push({ proto, containerPort: port, hostIp, hostPorts: parseHostPorts(binding.HostPort) });
    }
  }
  if (publishAll) {
    for (const key of exposed) {
      const { port, proto } = parsePortKey(key);
      if (!bound.has(`${port}/${proto}`)) requests.push({ proto, containerPort: port, hostIp: '0.0.0.0', hostPorts: undefined });
    }
  }
  return requests;
}
