/**
 * Hijacking for attach and exec start: the client sends `Connection: Upgrade` + `Upgrade: tcp`
 * and dockerd answers `101 UPGRADED` with Content-Type application/vnd.docker.raw-stream; from
 * then on the socket carries the raw stream both ways (stdcopy frames without a tty, raw bytes
 * with one). Clients that do not ask to upgrade get a 200 with the same content type and the
 * same raw socket. Half-close works: the client ending its side (stdin EOF) leaves ours writable.
 *
 * The engine server hands upgrade requests to the router with `req.upgrade` set (see
 * engine-server.ts), so a handler can still answer 404/409 normally before hijacking.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiRequest } from '../router.js';

export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

export interface HijackedStream {
  /** The raw connection: read stdin from it, write output to it. */
  socket: Duplex;
  /** Ends our side and closes the connection. */
  close(): void;
}

/** Takes over the connection of `req`, writing the 101 (or 200) header itself. */
export function hijack(req: ApiRequest, res: ServerResponse, options: { contentType?: string } = {}): HijackedStream {
  const contentType = options.contentType ?? RAW_STREAM;
  const upgrade = req.upgrade;
  const socket: Duplex = upgrade ? upgrade.socket : req.raw.socket;
  if (upgrade) {
    res.detachSocket(upgrade.socket as never);
    socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
    // Bytes the client sent right after its headers belong to the stream.
    if (upgrade.head.length > 0) socket.unshift(upgrade.head);
  } else {
    // Not an upgrade: keep Node's HTTP machinery from writing anything more on this socket.
    res.detachSocket(socket as never);
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n\r\n`);
  }
  socket.on('error', () => undefined); // a client resetting the connection is not our failure
  (socket as Duplex & { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  return {
    socket,
    close() {
      if (!socket.destroyed) socket.end(() => socket.destroy());
    },
  };
}
