/**
 * `-p` as docker reads it: `[ip:][hostPort:]containerPort[/proto]`, ports or ranges, IPv6 host IPs
 * in brackets. Pure. `8000-8001:80-81` maps pairwise; `8000-8010:80` lets the engine pick one
 * host port of the range.
 */
import { TsdError } from '../../../guest/api/errors.js';
import type { PortBinding } from '../engine-types.js';

export interface PublishedPorts {
  exposed: Record<string, Record<string, never>>;
  bindings: Record<string, PortBinding[]>;
}

interface Range {
  from: number;
  to: number;
}

export function parsePortSpecs(specs: string[]): PublishedPorts {
  const result: PublishedPorts = { exposed: {}, bindings: {} };
  for (const spec of specs) {
    for (const [key, binding] of parsePortSpec(spec)) {
      result.exposed[key] = {};
      (result.bindings[key] ??= []).push(binding);
    }
  }
  return result;
}

export function parsePortSpec(spec: string): Array<[string, PortBinding]> {
  const bad = (why: string) => new TsdError('invalid-argument', `invalid port specification "${spec}": ${why}`);
  let rest = spec;
  const slash = rest.lastIndexOf('/');
  let proto = 'tcp';
  if (slash !== -1) {
    proto = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!['tcp', 'udp', 'sctp'].includes(proto)) throw bad(`unknown protocol "${proto}"`);
  }
  let hostIp = '';
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1 || rest[close + 1] !== ':') throw bad('an IPv6 address needs the form [addr]:hostPort:containerPort');
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(':');
  if (parts.length > 3 || (hostIp !== '' && parts.length > 2)) throw bad('too many colons (use [ip:][hostPort:]containerPort)');
  const containerText = parts.pop()!;
  const hostText = parts.pop() ?? '';
  if (parts.length === 1) hostIp = parts[0]!;
  if (hostIp !== '' && !/^[\d.]+$|:/.test(hostIp)) throw bad(`"${hostIp}" is not an IP address`);
  const container = parseRange(containerText, bad);
  if (container === undefined) throw bad('the container port is missing');
  const host = parseRange(hostText, bad);
  const count = container.to - container.from + 1;
  const out: Array<[string, PortBinding]> = [];
  for (let i = 0; i < count; i++) {
    let hostPort = '';
    if (host !== undefined) {
      const hostCount = host.to - host.from + 1;
      if (count === 1) hostPort = hostCount === 1 ? String(host.from) : `${host.from}-${host.to}`;
      else if (hostCount === count) hostPort = String(host.from + i);
      else throw bad('the host and container port ranges differ in size');
    }
    out.push([`${container.from + i}/${proto}`, { HostIp: hostIp, HostPort: hostPort }]);
  }
  return out;
}

function parseRange(text: string, bad: (why: string) => TsdError): Range | undefined {
  if (text === '') return undefined;
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) throw bad(`"${text}" is not a port or a port range`);
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  if (from < 1 || to > 65535 || to < from) throw bad(`ports must be 1-65535, ranges low-high ("${text}")`);
  return { from, to };
}
