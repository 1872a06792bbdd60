/**
 * The userland proxy: for each publication a Node listener on the host address that relays to the
 * container. TCP relays both directions with half-close; UDP keeps one upstream socket per client
 * address (closed after a quiet period) so replies go back to the right client.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { TsdError } from '../../../api/errors.js';
import type { PortPublisher, Publication } from '../api.js';

/** A UDP client's upstream socket closes after this long without traffic (Docker's proxy uses 90 s). */
const UDP_IDLE_MS = 90_000;

/** The host port is held by another program (not by this engine). */
export class PortInUseError extends TsdError {
  constructor(publication: Publication) {
    super('conflict', `Error starting userland proxy: listen ${publication.proto}4 ${publication.hostIp}:${publication.hostPort}: bind: address already in use`);
  }
}

interface Open {
  close(): Promise<void>;
}

export function keyOf(publication: Publication): string {
  return `${publication.proto} ${publication.hostIp}:${publication.hostPort}`;
}

export class UserlandProxy implements PortPublisher {
  private readonly open = new Map<string, Open>();

  async publish(publication: Publication): Promise<void> {
    const handle = publication.proto === 'tcp' ? await openTcp(publication) : await openUdp(publication);
    this.open.set(keyOf(publication), handle);
  }

  async unpublish(publication: Publication): Promise<void> {
    const handle = this.open.get(keyOf(publication));
    this.open.delete(keyOf(publication));
    await handle?.close();
  }

  async close(): Promise<void> {
    const handles = [...this.open.values()];
    this.open.clear();
    await Promise.all(handles.map((handle) => handle.close()));
  }
}

function bindError(publication: Publication, error: NodeJS.ErrnoException): TsdError {
  if (error.code === 'EADDRINUSE') return new PortInUseError(publication);
  return new TsdError('internal', `cannot listen on ${publication.hostIp}:${publication.hostPort}/${publication.proto}: ${error.message}`, { cause: error });
}

async function openTcp(publication: Publication): Promise<Open> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const upstream = connect({ host: publication.containerIp, port: publication.containerPort, allowHalfOpen: true, noDelay: true });
    sockets.add(client).add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(bindError(publication, error)));
    server.listen({ host: publication.hostIp, port: publication.hostPort, exclusive: true }, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function openUdp(publication: Publication): Promise<Open> {
  const listener = createSocket({ type: 'udp4' });
  const upstreams = new Map<string, { socket: UdpSocket; timer: NodeJS.Timeout }>();
  const closeUpstream = (key: string): void => {
    const entry = upstreams.get(key);
    if (!entry) return;
    upstreams.delete(key);
    clearTimeout(entry.timer);
    entry.socket.close();
  };
  listener.on('message', (message: Buffer, client: RemoteInfo) => {
    const key = `${client.address}:${client.port}`;
    let entry = upstreams.get(key);
    if (!entry) {
      const socket = createSocket({ type: 'udp4' });
      socket.on('message', (reply) => {
        listener.send(reply, client.port, client.address);
        refresh(key);
      });
      socket.on('error', () => closeUpstream(key));
      entry = { socket, timer: setTimeout(() => closeUpstream(key), UDP_IDLE_MS).unref() };
      upstreams.set(key, entry);
    }
    entry.socket.send(message, publication.containerPort, publication.containerIp);
    refresh(key);
  });
  const refresh = (key: string): void => {
    const entry = upstreams.get(key);
    if (entry) entry.timer.refresh();
  };
  await new Promise<void>((resolve, reject) => {
    listener.once('error', (error) => reject(bindError(publication, error)));
    listener.bind({ address: publication.hostIp, port: publication.hostPort, exclusive: true }, () => resolve());
  });
  listener.on('error', () => undefined);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const key of [...upstreams.keys()]) closeUpstream(key);
        listener.close(() => resolve());
      }),
  };
}
