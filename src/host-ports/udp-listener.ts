/**
 * A published UDP port on the host. UDP has no connections, so each host client address gets its
 * own relay session to the guest (answers must go back to the right client); a session idle for
 * IDLE_MS is closed, like a NAT's UDP mapping.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Duplex } from 'node:stream';
import { DatagramReader, frameDatagram, type PublishedPort } from '../../guest/api/host-ports.js';
import { bindError } from './bind-errors.js';
import type { GuestOpener } from './guest-opener.js';
import type { HostListener, Target } from './host-listener.js';

const IDLE_MS = 60_000;

interface Session {
  relay: Promise<Duplex>;
  idle: NodeJS.Timeout;
}

export async function listenUdp(port: PublishedPort, opener: GuestOpener, log: (line: string) => void): Promise<HostListener> {
  const host = port.hostIp === '' ? '0.0.0.0' : port.hostIp;
  const socket: UdpSocket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', ipv6Only: isIPv6(host) && host !== '::' });
  let target: Target = { address: port.guestAddress, port: port.guestPort };
  const sessions = new Map<string, Session>();
  let closed = false;

  const end = (key: string) => {
    const session = sessions.get(key);
    if (session === undefined) return;
    sessions.delete(key);
    clearTimeout(session.idle);
    void session.relay.then((relay) => relay.destroy(), () => undefined);
  };

  const sessionFor = (address: string, clientPort: number): Session => {
    const key = `${address}|${clientPort}`;
    const existing = sessions.get(key);
    if (existing !== undefined) {
      existing.idle.refresh();
      return existing;
    }
    const relay = opener.openUdpRelay(target.address, target.port);
    const session: Session = { relay, idle: setTimeout(() => end(key), IDLE_MS) };
    sessions.set(key, session);
    relay.then(
      (stream) => {
        const reader = new DatagramReader();
        stream.on('data', (chunk: Buffer) => {
          session.idle.refresh();
          for (const datagram of reader.push(chunk)) if (!closed) socket.send(datagram, clientPort, address);
        });
        stream.on('error', () => end(key));
        stream.on('close', () => end(key));
      },
      (error: Error) => {
        log(`${host}:${port.hostPort}/udp: ${error.message}`);
        end(key);
      },
    );
    return session;
  };

  socket.on('message', (message, from) => {
    const session = sessionFor(from.address, from.port);
    void session.relay.then((stream) => stream.write(frameDatagram(message)), () => undefined);
  });

  const hostPort = await new Promise<number>((resolve, reject) => {
    socket.once('error', (error: NodeJS.ErrnoException) => reject(bindError(port, error)));
    socket.bind({ address: host, port: port.hostPort, exclusive: true }, () => {
      socket.removeAllListeners('error');
      socket.on('error', (error) => log(`${host}:${port.hostPort}/udp: ${error.message}`));
      resolve(socket.address().port);
    });
  });
  return {
    hostPort,
    retarget: (next) => (target = next),
    close: async () => {
      closed = true;
      for (const key of [...sessions.keys()]) end(key);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
