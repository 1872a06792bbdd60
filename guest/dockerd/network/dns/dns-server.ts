/**
 * The embedded DNS of user-defined networks: one UDP socket per network on the bridge's gateway
 * address, port 53. Which socket a query arrives on says which network the asker is on, so names
 * resolve only among containers sharing that network. Unknown names go to the upstreams unchanged
 * and the first answer comes back; upstream silence becomes SERVFAIL.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { buildAnswer, CLASS_IN, RCODE, readQuestion, TYPE_A } from './dns-message.js';

export interface Upstream {
  host: string;
  port: number;
}

/** Names → addresses on one network; undefined when the network has no such name. */
export type Lookup = (networkId: string, name: string) => string[] | undefined;

const FORWARD_TIMEOUT_MS = 4000;

export class EmbeddedDns {
  private readonly sockets = new Map<string, Socket>();

  constructor(
    private readonly lookup: Lookup,
    private readonly upstreams: () => Upstream[],
    private readonly port = 53,
  ) {}

  /** Listens on `address` for network `networkId` (idempotent). */
  async serve(networkId: string, address: string): Promise<void> {
    if (this.sockets.has(networkId)) return;
    const socket = createSocket({ type: 'udp4' });
    socket.on('message', (packet, client) => void this.answer(networkId, socket, packet, client));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address, port: this.port, exclusive: true }, () => resolve());
    });
    socket.on('error', () => undefined);
    this.sockets.set(networkId, socket);
  }

  async stop(networkId: string): Promise<void> {
    const socket = this.sockets.get(networkId);
    this.sockets.delete(networkId);
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.sockets.keys()].map((id) => this.stop(id)));
  }

  private async answer(networkId: string, socket: Socket, packet: Buffer, client: RemoteInfo): Promise<void> {
    const question = readQuestion(packet);
    if (!question) return;
    const reply = (data: Buffer): void => socket.send(data, client.port, client.address);
    const addresses = question.class === CLASS_IN ? this.lookup(networkId, question.name) : undefined;
    if (addresses) {
      // A known container: A records; other types (AAAA…) get an empty NOERROR so resolvers stop asking.
      reply(buildAnswer(packet, question, question.type === TYPE_A ? addresses : []));
      return;
    }
    const forwarded = await this.forward(packet);
    if (forwarded) reply(forwarded);
    else reply(buildAnswer(packet, question, [], RCODE.serverFailure));
  }

  /** Sends the query to each upstream in turn; the first response wins. */
  private async forward(packet: Buffer): Promise<Buffer | undefined> {
    for (const upstream of this.upstreams()) {
      const response = await new Promise<Buffer | undefined>((resolve) => {
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
      if (response) return response;
    }
    return undefined;
  }
}
