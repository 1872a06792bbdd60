/**
 * A UDP relay session (subsystem "udp-relay@tsd:ADDRESS:PORT", guest/api/host-ports.ts): the host
 * agent sends one host client's datagrams framed on the channel; they leave a UDP socket connected
 * to ADDRESS:PORT in the guest, and the answers come back framed the same way. One channel per
 * host client address, so answers find their way back. Ends when the channel closes.
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { ServerChannel } from 'ssh2';
import { DatagramReader, frameDatagram } from '../api/host-ports.js';

export function relayUdp(channel: ServerChannel, target: { address: string; port: number }, log: (line: string) => void): void {
  const socket = createSocket(isIPv6(target.address) ? 'udp6' : 'udp4');
  const reader = new DatagramReader();
  const queued: Buffer[] = [];
  let connected = false;
  let closed = false;
  const send = (datagram: Buffer) => {
    if (closed) return; // the channel is gone; dropping a datagram is what UDP may do
    if (connected) socket.send(datagram);
    else queued.push(datagram);
  };
  socket.connect(target.port, target.address, () => {
    connected = true;
    for (const datagram of queued.splice(0)) send(datagram);
  });
  channel.on('data', (chunk: Buffer) => reader.push(chunk).forEach(send));
  socket.on('message', (message) => {
    if (!closed) channel.write(frameDatagram(message));
  });
  // ICMP port unreachable and the like: UDP has no connection to fail, so only log it.
  socket.on('error', (error) => log(`udp relay ${target.address}:${target.port}: ${error.message}`));
  channel.on('end', () => channel.close());
  channel.on('close', () => {
    if (closed) return;
    closed = true;
    socket.close();
  });
}
