/**
 * The published ports of one machine, keyed by host binding (proto, host IP, host port). The host
 * decides: a binding is open once its host listener is bound, and closed on unpublish or when the
 * machine stops (closeAll). Publishing a binding that is open again only retargets it: after an
 * engine restart the engine republishes what its running containers need.
 *
 * Data path: QEMU's slirp (a run-time hostfwd, slirp-route.ts says when it can serve) when the
 * table has the machine's QEMU monitor; otherwise, and wherever slirp cannot, the SSH channel.
 */
import { isIP } from 'node:net';
import { TsdError } from '../../guest/api/errors.js';
import { describeBinding, type PortMapping, type PublishedPort } from '../../guest/api/host-ports.js';
import type { GuestOpener } from './guest-opener.js';
import type { HostListener } from './host-listener.js';
import { listenSlirp, type SlirpMonitor } from './slirp-listener.js';
import { slirpRoute } from './slirp-route.js';
import { listenTcp } from './tcp-listener.js';
import { listenUdp } from './udp-listener.js';

type Binding = Pick<PortMapping, 'proto' | 'hostIp' | 'hostPort'>;

export class PortTable {
  private readonly open = new Map<string, { port: PublishedPort; listener: HostListener }>();
  /** Requests are applied one at a time, so that two publishes of one port cannot race. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly opener: GuestOpener,
    private readonly log: (line: string) => void,
    /** The machine's QEMU monitor, for slirp forwards; without it every port rides on SSH. */
    private readonly slirp?: SlirpMonitor,
  ) {}

  publish(mapping: PortMapping): Promise<PublishedPort> {
    return this.serialize(() => this.publishNow(validateMapping(mapping)));
  }

  unpublish(binding: Binding): Promise<void> {
    return this.serialize(async () => {
      const key = keyOf(validateBinding(binding));
      const entry = this.open.get(key);
      if (entry === undefined) return;
      this.open.delete(key);
      await entry.listener.close();
      this.log(`unpublished ${key}`);
    });
  }

  list(): PublishedPort[] {
    return [...this.open.values()].map((entry) => entry.port);
  }

  closeAll(): Promise<void> {
    return this.serialize(async () => {
      const entries = [...this.open.values()];
      this.open.clear();
      await Promise.all(entries.map((entry) => entry.listener.close()));
    });
  }

  private async publishNow(mapping: PortMapping): Promise<PublishedPort> {
    const port: PublishedPort = { ...mapping, guestAddress: mapping.guestAddress ?? '127.0.0.1' };
    const existing = mapping.hostPort === 0 ? undefined : this.open.get(keyOf(mapping));
    if (existing !== undefined) {
      existing.listener.retarget({ address: port.guestAddress, port: port.guestPort });
      existing.port = port;
      this.log(`republished ${keyOf(port)} → ${port.guestAddress}:${port.guestPort}`);
      return port;
    }
    const { listener, via } = await this.listen(port);
    const bound = { ...port, hostPort: listener.hostPort };
    this.open.set(keyOf(bound), { port: bound, listener });
    this.log(`published ${keyOf(bound)} → ${bound.guestAddress}:${bound.guestPort} (${via})`);
    return bound;
  }

  private async listen(port: PublishedPort): Promise<{ listener: HostListener; via: string }> {
    const route = slirpRoute(port);
    if (this.slirp !== undefined && route.slirp) {
      const listener = await listenSlirp(port, route, this.slirp, this.log);
      if (listener !== undefined) return { listener, via: `slirp hostfwd ${route.rule}` };
    }
    const listen = port.proto === 'tcp' ? listenTcp : listenUdp;
    const why = this.slirp === undefined ? 'no QEMU monitor' : route.slirp ? 'QEMU refused the hostfwd' : route.why;
    return { listener: await listen(port, this.opener, this.log), via: `SSH channel: ${why}` };
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function keyOf(binding: Binding): string {
  return describeBinding(binding);
}

function validateBinding<T extends Binding>(binding: T): T {
  if (binding.proto !== 'tcp' && binding.proto !== 'udp') {
    throw new TsdError('invalid-argument', `invalid protocol ${JSON.stringify(binding.proto)}: use "tcp" or "udp"`);
  }
  if (typeof binding.hostIp !== 'string' || (binding.hostIp !== '' && isIP(binding.hostIp) === 0)) {
    throw new TsdError('invalid-argument', `invalid host IP ${JSON.stringify(binding.hostIp)}: use an IPv4 or IPv6 address, or "" for all`);
  }
  if (!Number.isInteger(binding.hostPort) || binding.hostPort < 0 || binding.hostPort > 65535) {
    throw new TsdError('invalid-argument', `invalid host port ${JSON.stringify(binding.hostPort)}: use 1-65535, or 0 to let the host choose`);
  }
  return binding;
}

function validateMapping(mapping: PortMapping): PortMapping {
  validateBinding(mapping);
  if (!Number.isInteger(mapping.guestPort) || mapping.guestPort < 1 || mapping.guestPort > 65535) {
    throw new TsdError('invalid-argument', `invalid guest port ${JSON.stringify(mapping.guestPort)}: use 1-65535`);
  }
  if (mapping.guestAddress !== undefined && isIP(mapping.guestAddress) === 0) {
    throw new TsdError('invalid-argument', `invalid guest address ${JSON.stringify(mapping.guestAddress)}`);
  }
  return mapping;
}
