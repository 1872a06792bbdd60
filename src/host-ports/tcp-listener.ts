/**
 * A published TCP port on the host: each connection is carried to the guest target over its own
 * stream (an SSH direct-tcpip channel), half-close passed through.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { PublishedPort } from '../../guest/api/host-ports.js';
import { pipeDuplex } from '../forward/pipe-duplex.js';
import { bindError } from './bind-errors.js';
import type { GuestOpener } from './guest-opener.js';
import type { HostListener, Target } from './host-listener.js';

export async function listenTcp(port: PublishedPort, opener: GuestOpener, log: (line: string) => void): Promise<HostListener> {
  let target: Target = { address: port.guestAddress, port: port.guestPort };
  const connections = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    socket.on('error', () => socket.destroy());
    const from = { address: socket.remoteAddress ?? '127.0.0.1', port: socket.remotePort ?? 0 };
    opener.openTcp(target.address, target.port, from).then(
      (stream) => (socket.destroyed ? stream.destroy() : pipeDuplex(socket, stream)),
      (error: Error) => {
        log(`${port.hostIp}:${port.hostPort}/tcp: ${error.message}`);
        socket.destroy();
      },
    );
  });
  const hostPort = await new Promise<number>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(bindError(port, error)));
    server.listen({ host: port.hostIp === '' ? '0.0.0.0' : port.hostIp, port: port.hostPort, exclusive: true }, () => {
      server.removeAllListeners('error');
      server.on('error', (error) => log(`${port.hostIp}:${port.hostPort}/tcp: ${error.message}`));
      resolve((server.address() as { port: number }).port);
    });
  });
  return {
    hostPort,
    retarget: (next) => (target = next),
    close: async () => {
      for (const socket of connections) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
