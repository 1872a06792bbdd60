/**
 * Points a container's 127.0.0.11 at the embedded DNS of one of its user networks (kernel side,
 * inside the container's netns; Docker instead runs a listener in every netns, which Node cannot).
 *
 * Two pieces, both in the container's netns:
 * - a local route `127.0.0.11 src <container ip>`: a socket talking to 127.0.0.11 gets the
 *   container's address as source instead of 127.0.0.1, so after the DNAT the packet may leave
 *   by eth* (a loopback source there would be a martian, and would need route_localnet plus a
 *   masquerade that hides the asker) and the server sees which container asks;
 * - nft/container-dns.ts's DNAT of 127.0.0.11:53 to the gateway's port 53.
 * A container on several user networks asks the first one's server, which answers for all of its
 * networks (name-directory.ts). Re-pointed on connect/disconnect; removed when none is left.
 */
import { renderContainerDns, renderContainerDnsDelete, EMBEDDED_DNS_ADDRESS } from '../nft/container-dns.js';
import { ipBatch, run, systemBinary } from '../sys/run.js';

export interface DnsTarget {
  /** the network's gateway: where its embedded DNS listens */
  gateway: string;
  /** the container's address on that network */
  source: string;
}

export async function pointEmbeddedDns(netnsPath: string, target: DnsTarget): Promise<void> {
  await ipBatch([`route replace local ${EMBEDDED_DNS_ADDRESS} dev lo table local src ${target.source}`], netnsPath);
  await run(['nsenter', `--net=${netnsPath}`, systemBinary('nft'), '-f', '-'], renderContainerDns(target.gateway));
}

/** The container left its last user network: 127.0.0.11 is plain loopback again. */
export async function removeEmbeddedDns(netnsPath: string): Promise<void> {
  await run(['nsenter', `--net=${netnsPath}`, systemBinary('nft'), '-f', '-'], renderContainerDnsDelete());
  await ipBatch([`route del local ${EMBEDDED_DNS_ADDRESS} dev lo table local`], netnsPath).catch(() => undefined);
}
