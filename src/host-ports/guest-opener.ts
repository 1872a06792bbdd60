/**
 * What the host listeners need from the guest: a stream to a TCP address in it (direct-tcpip) and
 * a UDP relay session (guest/api/host-ports.ts). One real implementation, over the machine's SSH
 * connection; the listeners do not know it is SSH.
 */
import type { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { TsdError } from '../../guest/api/errors.js';
import { udpRelaySubsystem } from '../../guest/api/host-ports.js';
import type { GuestSsh } from '../ssh/client.js';

export interface GuestOpener {
  /** A TCP stream to address:port in the guest; `from` names the host client (for the guest's logs). */
  openTcp(address: string, port: number, from: { address: string; port: number }): Promise<Duplex>;
  /** A framed datagram channel to address:port in the guest. */
  openUdpRelay(address: string, port: number): Promise<Duplex>;
}

/** Always uses the current connection (the agent's reconnecting one, or a fixed one in tests). */
export function sshGuestOpener(current: () => Promise<GuestSsh>): GuestOpener {
  const open = (what: string, start: (client: GuestSsh['client'], done: (error: Error | undefined, channel: ClientChannel) => void) => void) =>
    current().then(
      (ssh) =>
        new Promise<Duplex>((resolve, reject) =>
          start(ssh.client, (error, channel) =>
            error ? reject(new TsdError('unavailable', `cannot reach ${what} in the guest: ${error.message}`, { cause: error })) : resolve(channel),
          ),
        ),
    );
  return {
    openTcp: (address, port, from) =>
      open(`${address}:${port}/tcp`, (client, done) => client.forwardOut(from.address, from.port, address, port, done)),
    openUdpRelay: (address, port) => open(`${address}:${port}/udp`, (client, done) => client.subsys(udpRelaySubsystem(address, port), done)),
  };
}
