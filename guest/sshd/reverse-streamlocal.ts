/**
 * streamlocal-forward@openssh.com: the client (the host agent) asks the guest to listen on a unix
 * socket, and every connection to it becomes a forwarded-streamlocal channel back to the client.
 * The host-ports channel (guest/api/host-ports.ts) rides on this: the guest engine connects to
 * /run/tsd/host-ports.sock and talks to the host agent.
 *
 * One listener per path across all connections: a newer request for a path replaces the older
 * one (an agent that reconnected before the guest noticed its old connection was gone). Listeners
 * end with their connection or on cancel-streamlocal-forward.
 */
import { lstat, mkdir, rm, chmod } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Connection, ServerChannel } from 'ssh2';

interface Listener {
  server: Server;
  owner: Connection;
}

const listeners = new Map<string, Listener>();

export async function listenForClient(client: Connection, socketPath: string, log: (line: string) => void): Promise<void> {
  if (!socketPath.startsWith('/')) throw new Error(`not an absolute path: ${socketPath}`);
  await closeListener(socketPath);
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o755 });
  await removeStaleSocket(socketPath);
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => forwardToClient(client, socketPath, socket, log));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(socketPath, 0o600); // the engine runs as root; nobody else may talk to the host
  listeners.set(socketPath, { server, owner: client });
  client.once('close', () => {
    if (listeners.get(socketPath)?.server === server) void closeListener(socketPath);
  });
}

/** Cancels a listener of this client; another client's listener on the path is left alone. */
export async function cancelForClient(client: Connection, socketPath: string): Promise<boolean> {
  if (listeners.get(socketPath)?.owner !== client) return false;
  await closeListener(socketPath);
  return true;
}

async function closeListener(socketPath: string): Promise<void> {
  const listener = listeners.get(socketPath);
  if (listener === undefined) return;
  listeners.delete(socketPath);
  // Closing a listening unix socket unlinks its path, so this must finish before a new bind.
  await new Promise<void>((resolve) => listener.server.close(() => resolve()));
}

/** A leftover socket file (sshd killed) is removed; anything else at the path is an error. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  const stat = await lstat(socketPath).catch(() => undefined);
  if (stat === undefined) return;
  if (!stat.isSocket()) throw new Error(`${socketPath} exists and is not a socket`);
  await rm(socketPath, { force: true });
}

function forwardToClient(client: Connection, socketPath: string, socket: Socket, log: (line: string) => void): void {
  socket.on('error', () => socket.destroy());
  client.openssh_forwardOutStreamLocal(socketPath, (error: Error | undefined, channel: ServerChannel) => {
    if (error) {
      log(`forwarded-streamlocal ${socketPath}: ${error.message}`);
      socket.destroy();
      return;
    }
    // Half-close both ways: a request ended by the engine still gets its answer.
    socket.pipe(channel);
    channel.pipe(socket);
    channel.on('close', () => socket.destroy());
    socket.on('close', () => channel.close());
    socket.resume();
  });
}
