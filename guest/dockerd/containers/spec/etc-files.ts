/**
 * The three files Docker writes per container and bind-mounts over the image's: /etc/hostname,
 * /etc/hosts (localhost lines, the container's own name and IP, ExtraHosts) and
 * /etc/resolv.conf (the host's, without loopback nameservers, unless Dns* says otherwise).
 */
import { isIP } from 'node:net';
import { TsdError } from '../../../api/errors.js';

export interface HostsInput {
  hostname: string;
  domainname?: string;
  /** The container's address on its network, when it has one. */
  ip?: string;
  /** "name:ip" or "name=ip"; "host-gateway" as ip means `hostGateway`. */
  extraHosts: readonly string[];
  hostGateway?: string;
}

export function parseExtraHost(entry: string, hostGateway?: string): { name: string; ip: string } {
  // IPv6 addresses contain ':'; the name is before the first separator.
  const at = entry.search(/[=:]/);
  if (at <= 0) throw new TsdError('invalid-argument', `invalid extra host: ${entry}`);
  const name = entry.slice(0, at);
  let ip = entry.slice(at + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (ip === 'host-gateway') {
    if (!hostGateway) throw new TsdError('invalid-argument', `unable to derive the IP value for host-gateway`);
    ip = hostGateway;
  }
  if (isIP(ip) === 0) throw new TsdError('invalid-argument', `invalid IP address in add-host: "${ip}"`);
  return { name, ip };
}

export function hostsFile(input: HostsInput): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::\tip6-localnet',
    'ff00::\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const extra of input.extraHosts) {
    const { name, ip } = parseExtraHost(extra, input.hostGateway);
    lines.push(`${ip}\t${name}`);
  }
  if (input.ip) {
    const names = input.domainname ? `${input.hostname}.${input.domainname} ${input.hostname}` : input.hostname;
    lines.push(`${input.ip}\t${names}`);
  }
  return lines.join('\n') + '\n';
}

export interface ResolvInput {
  /** The host's /etc/resolv.conf text. */
  hostResolvConf: string;
  dns: readonly string[];
  dnsSearch: readonly string[];
  dnsOptions: readonly string[];
  /** Used when the host's file leaves no nameserver (Docker falls back to Google's; we take the caller's). */
  fallbackNameservers: readonly string[];
}

const LOOPBACK_NAMESERVER = /^\s*nameserver\s+(127\.\d+\.\d+\.\d+|::1)\s*$/;

export function resolvConf(input: ResolvInput): string {
  for (const server of input.dns) {
    if (isIP(server) === 0) throw new TsdError('invalid-argument', `${server} is not an ip address`);
  }
  const hostLines = input.hostResolvConf.split('\n');
  let nameservers = input.dns.length > 0 ? [...input.dns] : hostLines.filter((l) => /^\s*nameserver\s/.test(l) && !LOOPBACK_NAMESERVER.test(l)).map((l) => l.trim().split(/\s+/)[1]!);
  if (nameservers.length === 0) nameservers = [...input.fallbackNameservers];
  const search = input.dnsSearch.length > 0 ? [...input.dnsSearch] : hostLines.filter((l) => /^\s*(search|domain)\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  const options = input.dnsOptions.length > 0 ? [...input.dnsOptions] : hostLines.filter((l) => /^\s*options\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  const out = nameservers.map((n) => `nameserver ${n}`);
  if (search.length > 0 && !(search.length === 1 && search[0] === '.')) out.push(`search ${search.join(' ')}`);
  if (options.length > 0) out.push(`options ${options.join(' ')}`);
  return out.join('\n') + '\n';
}
