/**
 * The nftables table inside a container's network namespace that makes Docker's embedded DNS
 * address work (pure, unit-tested): 127.0.0.11:53, UDP and TCP, is DNAT-ed to the embedded DNS
 * listening on a network's gateway. The source address stays the container's own on that network
 * (a local route picks it, see dns/container-redirect.ts), so the server knows who asks and the
 * answer comes back through conntrack as if from 127.0.0.11.
 */

/** Docker's embedded DNS address, as containers on user networks see it in resolv.conf. */
export const EMBEDDED_DNS_ADDRESS = '127.0.0.11';

/** The table's name in the container's netns (the netns is the container's alone). */
export const CONTAINER_DNS_TABLE = 'tsd-dns';

export function renderContainerDns(gateway: string): string {
  const table = CONTAINER_DNS_TABLE;
  return [
    // "table …" then "delete table …": creating first makes the delete valid when the table is new.
    `table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    `    ip daddr ${EMBEDDED_DNS_ADDRESS} udp dport 53 dnat to ${gateway}:53`,
    `    ip daddr ${EMBEDDED_DNS_ADDRESS} tcp dport 53 dnat to ${gateway}:53`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export function renderContainerDnsDelete(): string {
  return `table ip ${CONTAINER_DNS_TABLE}\ndelete table ip ${CONTAINER_DNS_TABLE}\n`;
}
