/**
 * Checks of the network keys after defaults: port forwards, registry mirrors, insecure
 * registries and DNS servers. The URL rules are dockerd's own for `registry-mirrors` (http or https, no
 * credentials, no query or fragment), so that a file tsd accepts is one the engine accepts.
 */
import net from 'node:net';
import type { PortForwardSpec } from './machine-config.js';
import type { ConfigIssue } from './source.js';

type Issue = Omit<ConfigIssue, 'position'>;

export function validatePortForwards(forwards: readonly PortForwardSpec[]): Issue[] {
  const issues: Issue[] = [];
  forwards.forEach((forward, i) => {
    const at = `portForwards[${i}]`;
    for (const key of ['guestPort', 'hostPort'] as const) {
      const port = forward[key];
      // A hostPort defaulted from a bad guestPort is the same mistake: report it once.
      if (key === 'hostPort' && port === forward.guestPort) continue;
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        issues.push({ path: `${at}.${key}`, message: `expected a port from 1 to 65535, found ${port}` });
      }
    }
    if (net.isIP(forward.hostIp) === 0) {
      issues.push({
        path: `${at}.hostIp`,
        message: `${JSON.stringify(forward.hostIp)} is not an IP address; use "127.0.0.1" (this host only, the default) or "0.0.0.0" (all interfaces)`,
      });
    }
    const earlier = forwards.findIndex((other, j) => j < i && sameListener(other, forward));
    if (earlier >= 0) {
      issues.push({
        path: `${at}.hostPort`,
        message: `host port ${forward.hostPort}/${forward.proto} on ${forward.hostIp} is already forwarded by portForwards[${earlier}]; choose another hostPort`,
      });
    }
  });
  return issues;
}

/** Two forwards that would listen on the same host socket ("0.0.0.0" covers every address). */
function sameListener(a: PortForwardSpec, b: PortForwardSpec): boolean {
  const any = (ip: string) => ip === '0.0.0.0' || ip === '::';
  return a.proto === b.proto && a.hostPort === b.hostPort && (a.hostIp === b.hostIp || any(a.hostIp) || any(b.hostIp));
}

export function validateRegistryMirrors(mirrors: readonly string[]): Issue[] {
  return mirrors.flatMap((mirror, i) => {
    const problem = mirrorProblem(mirror);
    return problem ? [{ path: `registryMirrors[${i}]`, message: problem }] : [];
  });
}

function mirrorProblem(mirror: string): string | undefined {
  const expected = 'expected an http:// or https:// URL such as "https://mirror.example.com" or "http://10.0.2.2:5000"';
  let url: URL;
  try {
    url = new URL(mirror);
  } catch {
    return `${expected}, found ${JSON.stringify(mirror)}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${expected}, found the scheme "${url.protocol.slice(0, -1)}"`;
  if (url.username || url.password) return `${JSON.stringify(mirror)} contains credentials, which dockerd refuses in mirror URLs`;
  if (url.search || url.hash) return `${JSON.stringify(mirror)} has a query or fragment, which dockerd refuses in mirror URLs`;
  return undefined;
}

export function validateInsecureRegistries(registries: readonly string[]): Issue[] {
  return registries.flatMap((registry, i) => {
    if (isHostPort(registry) || isCidr(registry)) return [];
    const scheme = /^[a-z]+:\/\/(.*)$/i.exec(registry);
    const message = scheme
      ? `${JSON.stringify(registry)} has a scheme; write host:port only, such as ${JSON.stringify(scheme[1]!.replace(/\/.*$/, ''))}`
      : `expected host:port such as "localhost:5000" or "10.0.2.2:5000" (or a CIDR such as "10.0.0.0/8"), found ${JSON.stringify(registry)}`;
    return [{ path: `insecureRegistries[${i}]`, message }];
  });
}

/** host, host:port, [v6] or [v6]:port; host a DNS name or an IPv4 address. */
function isHostPort(text: string): boolean {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$/.exec(text);
  if (!match) return false;
  const host = match[1]!;
  if (host.startsWith('[') && net.isIPv6(host.slice(1, -1)) === false) return false;
  const port = match[2] === undefined ? 1 : Number(match[2]);
  return port >= 1 && port <= 65535;
}

function isCidr(text: string): boolean {
  const [ip, prefix, ...rest] = text.split('/');
  if (rest.length > 0 || prefix === undefined || !/^\d{1,3}$/.test(prefix)) return false;
  const family = net.isIP(ip!);
  return family !== 0 && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * dockerd's `dns` takes IP addresses only (no names, no ports). IPv6 is refused: the guest's
 * network and the engine's forwarder are IPv4 only, so such a server would never be asked.
 */
export function validateDns(servers: readonly string[]): Issue[] {
  const example = 'such as "10.0.2.3" (QEMU\'s forwarder, the default) or "192.168.1.1"';
  return servers.flatMap((server, i) => {
    const family = net.isIP(server);
    if (family === 4) return [];
    const message = family === 6
      ? `${JSON.stringify(server)} is an IPv6 address; the guest's network is IPv4 only: give an IPv4 resolver ${example}`
      : `expected an IPv4 address ${example}, found ${JSON.stringify(server)}`;
    return [{ path: `dns[${i}]`, message }];
  });
}
