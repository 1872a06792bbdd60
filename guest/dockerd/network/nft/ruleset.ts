/**
 * The engine's whole nftables table as text (pure, unit-tested): outbound masquerade per network,
 * isolation between networks, internal networks, and DNAT for published ports. (ICC off is not here: traffic between two ports
 * of one bridge never reaches the ip family without br_netfilter, so links.ts marks such ports
 * `isolated` on the bridge instead.) The table
 * is replaced atomically on every change (one `nft -f` transaction), so it never drifts.
 */
import type { Publication } from '../api.js';

export interface NftNetwork {
  bridge: string;
  subnet: string;
  /** no outbound traffic (docker network create --internal) */
  internal: boolean;
  masquerade: boolean;
}

export interface NftPublication extends Publication {
  /** the bridge the container's endpoint is on */
  bridge: string;
}

export function tableName(instance: string): string {
  return `tsd-${instance}`;
}

export function renderRuleset(instance: string, networks: NftNetwork[], publications: NftPublication[]): string {
  const table = tableName(instance);
  const q = (name: string): string => JSON.stringify(name);
  const postrouting: string[] = [];
  const forward: string[] = [];
  for (const network of networks) {
    if (network.masquerade && !network.internal) {
      postrouting.push(`ip saddr ${network.subnet} oifname != ${q(network.bridge)} masquerade`);
    }
    // Published ports reached from the host's loopback arrive with source 127.0.0.1 (route_localnet).
    postrouting.push(`oifname ${q(network.bridge)} ip saddr 127.0.0.0/8 masquerade`);
    // Hairpin: a container reaching a published port of its own network through a host address;
    // without the rewrite the answer would come straight from the peer, not from the address asked.
    postrouting.push(`oifname ${q(network.bridge)} ip saddr ${network.subnet} ct status dnat masquerade`);
    // Docker isolates networks from each other: nothing is routed from one engine bridge to another.
    const others = networks.filter((other) => other.bridge !== network.bridge).map((other) => q(other.bridge));
    if (others.length > 0) forward.push(`iifname ${q(network.bridge)} oifname { ${others.join(', ')} } drop`);
    if (network.internal) {
      forward.push(`iifname ${q(network.bridge)} oifname != ${q(network.bridge)} drop`);
      forward.push(`oifname ${q(network.bridge)} iifname != ${q(network.bridge)} drop`);
    }
  }
  const publish = publications.map((p) => {
    const to = `dnat to ${p.containerIp}:${p.containerPort}`;
    const daddr = p.hostIp === '0.0.0.0' ? '' : `ip daddr ${p.hostIp} `;
    return `${daddr}${p.proto} dport ${p.hostPort} ${to}`;
  });
  const chain = (name: string, head: string | undefined, rules: string[]): string =>
    [`  chain ${name} {`, ...(head ? [`    ${head}`] : []), ...rules.map((rule) => `    ${rule}`), '  }'].join('\n');
  return [
    // "table …" then "delete table …": creating first makes the delete valid when the table is new.
    `table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    chain('publish', undefined, publish),
    chain('prerouting', 'type nat hook prerouting priority dstnat; policy accept;', ['fib daddr type local jump publish']),
    chain('output', 'type nat hook output priority -100; policy accept;', ['fib daddr type local jump publish']),
    chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;', postrouting),
    chain('forward', 'type filter hook forward priority filter; policy accept;', forward),
    '}',
    '',
  ].join('\n');
}

export function renderDelete(instance: string): string {
  const table = tableName(instance);
  return `table ip ${table}\ndelete table ip ${table}\n`;
}
