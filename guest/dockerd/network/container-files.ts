/**
 * The /etc/resolv.conf and /etc/hosts a container gets (pure), as Debian's dockerd (20.10) writes
 * them. Without Dns/DnsSearch/DnsOptions (the container's, else the daemon's) the default bridge gets
 * the host's file verbatim minus loopback nameservers (Google's two when none is left); with any of
 * them the file is rebuilt from the overrides and the host's remaining values. On user networks the
 * result is rebuilt once more around the embedded DNS: `nameserver 127.0.0.11` (plus any IPv6
 * servers, which the embedded DNS does not forward to) and `ndots:0` unless ndots is already > 0.
 * The IPv4 servers the embedded DNS forwards to are the engine's business (name-directory.ts).
 */
import { EMBEDDED_DNS_ADDRESS } from './nft/container-dns.js';

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** Docker's reading: every nameserver line; the last search and the last options line win. */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const line of text.split('\n')) {
    const [key, ...values] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (key === 'nameserver' && values[0]) conf.nameservers.push(values[0]);
    else if (key === 'search') conf.search = values;
    else if (key === 'options') conf.options = values;
  }
  return conf;
}

/** Docker's fallback when the host only has loopback resolvers. */
const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];
const LOOPBACK_NAMESERVER = /^[ \t]*nameserver[ \t]*(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1)[ \t]*\n*/gm;

export interface ResolvInput {
  /** the host's resolv.conf text */
  hostText: string;
  /** the container is on a user network: it asks the embedded DNS */
  embedded?: boolean;
  /** NetworkMode host: the host's file as it is (Docker copies it) unless overridden */
  hostNetwork?: boolean;
  /** the container's Dns, else the daemon's `dns` */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
}

export function renderResolvConf(input: ResolvInput): string {
  const overridden = Boolean(input.dns?.length || input.dnsSearch?.length || input.dnsOptions?.length);
  let text: string;
  if (!overridden && input.hostNetwork) return input.hostText;
  if (!overridden) {
    text = input.hostText.replace(LOOPBACK_NAMESERVER, '');
    if (parseResolvConf(text).nameservers.length === 0) text += `\n${FALLBACK_NAMESERVERS.map((ip) => `nameserver ${ip}`).join('\n')}`;
  } else {
    const host = parseResolvConf(input.hostText);
    text = buildResolvConf(
      input.dns?.length ? input.dns : host.nameservers,
      input.dnsSearch?.length ? input.dnsSearch : host.search,
      input.dnsOptions?.length ? input.dnsOptions : host.options,
    );
  }
  if (!input.embedded) return text;
  const current = parseResolvConf(text);
  const ndotsSet = current.options.some((option) => /^ndots:0*[1-9]\d*$/.test(option));
  return buildResolvConf(
    [EMBEDDED_DNS_ADDRESS, ...current.nameservers.filter((ip) => ip.includes(':'))],
    current.search,
    ndotsSet ? current.options : [...current.options, 'ndots:0'],
  );
}

/** Docker's layout: search, nameservers, options; a lone "." search is left out. */
function buildResolvConf(nameservers: string[], search: string[], options: string[]): string {
  const lines: string[] = [];
  if (search.length > 0 && search.join(' ').trim() !== '.') lines.push(`search ${search.join(' ')}`);
  for (const ip of nameservers) lines.push(`nameserver ${ip}`);
  if (options.length > 0) lines.push(`options ${options.join(' ')}`);
  return lines.map((line) => `${line}\n`).join('');
}

export function renderHosts(entries: { ip: string; names: string[] }[], extraHosts: string[] = [], gateway?: string): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const extra of extraHosts) {
    // "name:ip" (the IP may be IPv6 and contain colons); "host-gateway" is the network's gateway.
    const colon = extra.indexOf(':');
    const name = extra.slice(0, colon);
    const ip = extra.slice(colon + 1);
    lines.push(`${ip === 'host-gateway' && gateway ? gateway : ip}\t${name}`);
  }
  for (const entry of entries) lines.push(`${entry.ip}\t${entry.names.join(' ')}`);
  return lines.join('\n') + '\n';
}
