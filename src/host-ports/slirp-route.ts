/**
 * Which publications QEMU's slirp can carry itself (a `hostfwd` rule added at run time), and the
 * rule's text. Pure: the PortTable asks, the unit tests check every case.
 *
 * A slirp forward delivers to the guest's own address (10.0.2.15) on the guest's eth0, at the
 * same port as the host binding; it reaches the container only through the guest engine's own
 * publication of that binding (nftables DNAT, or its userland proxy), which the engine opens
 * before it asks the host. So slirp serves a publication only when that guest-side publication
 * accepts traffic arriving at 10.0.2.15; everything else stays on the SSH channel.
 */
import { isIP } from 'node:net';
import { SLIRP } from '../../guest/api/guest-layout.js';
import type { PublishedPort } from '../../guest/api/host-ports.js';

export type SlirpRoute = { slirp: true; rule: string; removeRule: string } | { slirp: false; why: string };

/** The guest's loopback: a target there is a program on the guest's 127.0.0.1, not the engine's DNAT. */
const guestLoopback = (address: string): boolean => address.startsWith('127.') || address === '::1';

export function slirpRoute(port: PublishedPort): SlirpRoute {
  if (port.hostIp !== '' && port.hostIp !== '0.0.0.0') {
    // The engine's rule for a specific host IP matches that destination in the guest (127.0.0.1
    // for a local binding); slirp's packets arrive for 10.0.2.15 and would not match it.
    return { slirp: false, why: `the guest publishes ${port.hostIp} only, and slirp delivers to ${SLIRP.guestAddress}` };
  }
  if (port.hostPort === 0) {
    return { slirp: false, why: 'a host-chosen port has no publication of the same port in the guest' };
  }
  if (isIP(port.guestAddress) !== 4 || guestLoopback(port.guestAddress)) {
    return { slirp: false, why: `the target ${port.guestAddress} is not a container behind the guest engine's publication` };
  }
  const binding = `${port.proto}:0.0.0.0:${port.hostPort}`;
  return { slirp: true, rule: `${binding}-${SLIRP.guestAddress}:${port.hostPort}`, removeRule: binding };
}

