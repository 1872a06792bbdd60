/**
 * Port publishing by nftables DNAT (userland-proxy false): the kernel rewrites packets to local
 * addresses on the host port towards the container; nothing is copied through the engine. Ports
 * are probed with a real bind first, so another program's port is reported like the proxy does.
 * Loopback clients work because the bridges have route_localnet=1 and 127/8 is masqueraded.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { PortPublisher, Publication } from '../api.js';
import type { Firewall } from '../nft/firewall.js';
import type { NftPublication } from '../nft/ruleset.js';
import { keyOf, PortInUseError } from './userland-proxy.js';

export class NftPublisher implements PortPublisher {
  private readonly active = new Map<string, NftPublication>();
  private dirty = false;

  constructor(
    private readonly firewall: Firewall,
    /** the bridge whose subnet holds a container address */
    private readonly bridgeOf: (containerIp: string) => string,
  ) {}

  /** Probes the port now; the rule is loaded at the next flush (one nft transaction for all of a container's ports). */
  async publish(publication: Publication): Promise<void> {
    await probe(publication);
    this.active.set(keyOf(publication), { ...publication, bridge: this.bridgeOf(publication.containerIp) });
    this.dirty = true;
  }

  async unpublish(publication: Publication): Promise<void> {
    if (this.active.delete(keyOf(publication))) this.dirty = true;
  }

  async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await this.firewall.setPublications([...this.active.values()]);
  }

  async close(): Promise<void> {
    this.active.clear();
  }
}

/** Binds and releases the port, to find a port another program holds. */
async function probe(publication: Publication): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException): void => reject(error.code === 'EADDRINUSE' ? new PortInUseError(publication) : error);
    if (publication.proto === 'tcp') {
      const server = createServer();
      server.once('error', fail);
      server.listen({ host: publication.hostIp, port: publication.hostPort, exclusive: true }, () => server.close(() => resolve()));
    } else {
      const socket = createSocket('udp4');
      socket.once('error', fail);
      socket.bind({ address: publication.hostIp, port: publication.hostPort, exclusive: true }, () => socket.close(() => resolve()));
    }
  });
}
