/**
 * The embedded DNS of user-defined networks: UDP and TCP on the bridge's gateway address, port 53;
 * containers reach it as 127.0.0.11 (container-redirect.ts rewrites that address in their netns,
 * keeping their own source address). The listener a query arrives on and its source address say
 * which container asks, so names resolve only among containers sharing a network with it. Unknown names go to the upstreams unchanged (over the
 * transport the query came by, so truncated UDP answers can be retried over TCP) and the first
 * answer comes back; upstream silence becomes SERVFAIL.
 */
import { createSocket, type Socket } from 'node:dgram';
import { connect, createServer, type Server, type Socket as NetSocket } from 'node:net';
import { buildAnswer, buildPtrAnswer, CLASS_IN, RCODE, readQuestion, reverseAddress, TYPE_A, TYPE_AAAA, TYPE_PTR } from './dns-message.js';

export interface Upstream {
  host: string;
  port: number;
}

/** What the server asks the engine; `networkId` is the listener's network, `clientIp` the asker's address on it. */
export interface Names {
  /** Addresses of a container name or alias the asker can see; undefined when it has no such name. */
  lookup(networkId: string, clientIp: string, name: string): string[] | undefined;
  /** "<name>.<network>" of a container address the asker can see (PTR). */
  reverse(networkId: string, clientIp: string, address: string): string | undefined;
  /** The asker's upstreams (its own --dns servers, else the engine's). */
  upstreams(networkId: string, clientIp: string): Upstream[];
  /** true: single-label names the asker does not know get NXDOMAIN, not forwarding (Docker's ndots rule). */
  keepsSingleLabels(networkId: string, clientIp: string): boolean;
}

const FORWARD_TIMEOUT_MS = 4000;

interface Listeners {
  udp: Socket;
  tcp: Server;
  connections: Set<NetSocket>;
}

export class EmbeddedDns {
  private readonly listeners = new Map<string, Listeners>();

  constructor(
    private readonly names: Names,
    private readonly port = 53,
  ) {}

  /** Listens on `address` for network `networkId` (idempotent). */
  async serve(networkId: string, address: string): Promise<void> {
    if (this.listeners.has(networkId)) return;
    const udp = createSocket({ type: 'udp4' });
    udp.on('message', (packet, client) => {
      void this.respond(networkId, packet, 'udp', client.address).then((reply) => reply && udp.send(reply, client.port, client.address));
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', (error) => {
        udp.close();
        reject(error);
      });
      udp.bind({ address, port: this.port, exclusive: true }, () => resolve());
    });
    udp.on('error', () => undefined);
    const connections = new Set<NetSocket>();
    const tcp = createServer((socket) => {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
      socket.on('error', () => socket.destroy());
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          const packet = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
          buffered = buffered.subarray(2 + packet.length);
          void this.respond(networkId, packet, 'tcp', socket.remoteAddress ?? '').then((reply) => reply && !socket.destroyed && socket.write(framed(reply)));
        }
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: address, port: this.port, exclusive: true }, () => resolve());
      });
    } catch (error) {
      udp.close();
      throw error;
    }
    this.listeners.set(networkId, { udp, tcp, connections });
  }

  async stop(networkId: string): Promise<void> {
    const listeners = this.listeners.get(networkId);
    this.listeners.delete(networkId);
    if (!listeners) return;
    await new Promise<void>((resolve) => listeners.udp.close(() => resolve()));
    await new Promise<void>((resolve) => {
      listeners.tcp.close(() => resolve());
      for (const socket of listeners.connections) socket.destroy();
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((id) => this.stop(id)));
  }

  private async respond(networkId: string, packet: Buffer, transport: 'udp' | 'tcp', clientAddress: string): Promise<Buffer | undefined> {
    const question = readQuestion(packet);
    if (!question) return undefined;
    const clientIp = clientAddress.replace(/^::ffff:/, '');
    const addresses = question.class === CLASS_IN ? this.names.lookup(networkId, clientIp, question.name) : undefined;
    // A known container: A records; other types (AAAA…) get an empty NOERROR so resolvers stop asking.
    if (addresses) return buildAnswer(packet, question, question.type === TYPE_A ? addresses : []);
    const reversed = question.class === CLASS_IN && question.type === TYPE_PTR ? reverseAddress(question.name) : undefined;
    const target = reversed ? this.names.reverse(networkId, clientIp, reversed) : undefined;
    if (target) return buildPtrAnswer(packet, question, target);
    const addressQuery = question.type === TYPE_A || question.type === TYPE_AAAA;
    if (addressQuery && !question.name.includes('.') && this.names.keepsSingleLabels(networkId, clientIp)) {
      return buildAnswer(packet, question, [], RCODE.nameError);
    }
    for (const upstream of this.names.upstreams(networkId, clientIp)) {
      const answer = transport === 'udp' ? await forwardUdp(packet, upstream) : await forwardTcp(packet, upstream);
      if (answer) return answer;
    }
    return buildAnswer(packet, question, [], RCODE.serverFailure);
  }
}

function framed(packet: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(packet.length);
  return Buffer.concat([length, packet]);
}

function forwardUdp(packet: Buffer, upstream: Upstream): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (value: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.close();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), FORWARD_TIMEOUT_MS);
    socket.on('error', () => done(undefined));
    socket.on('message', (message) => {
      if (message.length >= 2 && message.readUInt16BE(0) === packet.readUInt16BE(0)) done(message);
    });
    socket.send(packet, upstream.port, upstream.host);
  });
}

function forwardTcp(packet: Buffer, upstream: Upstream): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: upstream.host, port: upstream.port });
    let buffered = Buffer.alloc(0);
    const done = (value: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), FORWARD_TIMEOUT_MS);
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write(framed(packet)));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) done(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
    });
  });
}
