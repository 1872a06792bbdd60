/**
 * The host-ports channel: how the engine in the guest opens published ports on the user's host.
 *
 *   guest dockerd ──unix──▶ /run/tsd/host-ports.sock (guest sshd, reverse streamlocal forward)
 *        ══ ssh forwarded-streamlocal ══▶ host agent: binds 127.0.0.1:8080, answers
 *   host client ──tcp──▶ agent ══ ssh direct-tcpip ══▶ guestAddress:guestPort in the guest
 *   host client ──udp──▶ agent ══ ssh session "udp-relay@tsd:ADDR:PORT" (framed datagrams) ══▶ guest
 *
 * The engine asks and the host decides: the host listener exists (or the request failed with a
 * clear error) before the engine's answer to `start` goes out, so there is no polling race.
 *
 * Wire: JSON lines, one request then one answer on the same connection, in order; a connection may
 * carry many requests. Every message carries `v` (PROTOCOL_VERSION); a peer answers a version it
 * does not speak with an `unsupported` error. Publications belong to the host agent, not to the
 * connection: they last until `unpublish`, or until the machine stops.
 */
import type { ErrorCode } from './errors.js';

export const HOST_PORTS_PROTOCOL_VERSION = 1;

/** Where the guest reaches the host agent (the agent asks the guest sshd to listen here). */
export const HOST_PORTS_SOCKET = '/run/tsd/host-ports.sock';

export type PortProto = 'tcp' | 'udp';

/** One published port, as the user wrote it in `-p hostIp:hostPort:containerPort/proto`. */
export interface PortMapping {
  proto: PortProto;
  /** Host address to bind: "0.0.0.0", "127.0.0.1", "::" … ("" means all IPv4 addresses). */
  hostIp: string;
  /** Host port; 0 asks the host to choose a free one (`-P`), returned in the answer. */
  hostPort: number;
  /** Where the traffic goes inside the guest. */
  guestPort: number;
  /** Guest address the host connects to; default 127.0.0.1 (the engine's port publisher there). */
  guestAddress?: string;
}

export type HostPortsRequest =
  | { v: number; id: number; op: 'publish'; port: PortMapping }
  | { v: number; id: number; op: 'unpublish'; port: Pick<PortMapping, 'proto' | 'hostIp' | 'hostPort'> }
  | { v: number; id: number; op: 'list' };

export interface PublishedPort extends Required<PortMapping> {}

export type HostPortsResponse =
  | { v: number; id: number; ok: true; port?: PublishedPort; ports?: PublishedPort[] }
  | { v: number; id: number; ok: false; error: { code: ErrorCode; message: string } };

/** Subsystem name of a UDP relay session to ADDRESS:PORT in the guest. */
export const UDP_RELAY_PREFIX = 'udp-relay@tsd:';

export function udpRelaySubsystem(address: string, port: number): string {
  return `${UDP_RELAY_PREFIX}${address}:${port}`;
}

export function parseUdpRelaySubsystem(name: string): { address: string; port: number } | undefined {
  if (!name.startsWith(UDP_RELAY_PREFIX)) return undefined;
  const rest = name.slice(UDP_RELAY_PREFIX.length);
  const colon = rest.lastIndexOf(':');
  const port = Number(rest.slice(colon + 1));
  const address = rest.slice(0, colon);
  if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { address, port };
}

/** "0.0.0.0:8080/tcp", the way errors and logs name a host binding. */
export function describeBinding(port: Pick<PortMapping, 'proto' | 'hostIp' | 'hostPort'>): string {
  const ip = port.hostIp === '' ? '0.0.0.0' : port.hostIp;
  return `${ip.includes(':') ? `[${ip}]` : ip}:${port.hostPort}/${port.proto}`;
}

/**
 * Datagrams on a relay channel: each one is a 2-byte big-endian length and the payload (UDP
 * payloads fit: at most 65,507 bytes over IPv4).
 */
export function frameDatagram(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(2 + payload.length);
  frame.writeUInt16BE(payload.length, 0);
  frame.set(payload, 2);
  return frame;
}

/** Splits a byte stream back into datagrams; keeps a partial frame until the rest arrives. */
export class DatagramReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    while (this.pending.length >= 2) {
      const size = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + size) break;
      out.push(this.pending.subarray(2, 2 + size));
      this.pending = this.pending.subarray(2 + size);
    }
    return out;
  }
}

/** Splits a byte stream into lines (JSON lines of this protocol). */
export class LineReader {
  private pending = '';

  push(chunk: Buffer | string): string[] {
    this.pending += chunk.toString();
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    return lines.filter((line) => line.trim() !== '');
  }
}
