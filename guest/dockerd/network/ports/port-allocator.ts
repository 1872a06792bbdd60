/**
 * The engine's reservations of host ports (TCP and UDP separately). 0.0.0.0:P clashes with any
 * address's P and the reverse, like Docker's port allocator; the message is Docker's.
 */
import { TsdError } from '../../../api/errors.js';
import type { PortRequest, Proto } from './port-requests.js';

/** Docker's ephemeral range for -P and empty host ports. */
export const EPHEMERAL = { from: 49153, to: 65535 };

export class PortAllocator {
  private readonly taken = new Map<string, Set<number>>(); // "tcp 0.0.0.0" → ports

  isFree(proto: Proto, hostIp: string, port: number): boolean {
    for (const [key, ports] of this.taken) {
      const [takenProto, takenIp] = key.split(' ');
      if (takenProto !== proto || !ports.has(port)) continue;
      if (takenIp === hostIp || takenIp === '0.0.0.0' || hostIp === '0.0.0.0') return false;
    }
    return true;
  }

  /** Candidate ports for a request in the order to try; explicit single ports that are taken fail here. */
  candidates(request: PortRequest): number[] {
    const range = request.hostPorts ?? EPHEMERAL;
    const ports: number[] = [];
    for (let port = range.from; port <= range.to; port++) {
      if (this.isFree(request.proto, request.hostIp, port)) ports.push(port);
    }
    if (ports.length === 0) {
      const what = range.from === range.to ? String(range.from) : `${range.from}-${range.to}`;
      throw new TsdError('conflict', `Bind for ${request.hostIp}:${what} failed: port is already allocated`);
    }
    if (!request.hostPorts) {
      // Spread ephemeral choices like the kernel does, instead of always handing out 49153 first.
      const start = Math.floor(Math.random() * ports.length);
      return [...ports.slice(start), ...ports.slice(0, start)];
    }
    return ports;
  }

  reserve(proto: Proto, hostIp: string, port: number): void {
    const key = `${proto} ${hostIp}`;
    const set = this.taken.get(key) ?? new Set<number>();
    set.add(port);
    this.taken.set(key, set);
  }

  release(proto: Proto, hostIp: string, port: number): void {
    this.taken.get(`${proto} ${hostIp}`)?.delete(port);
  }
}
