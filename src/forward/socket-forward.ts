/**
 * A local socket on the host (a unix socket with mode 0600, or a named pipe on Windows) whose
 * every connection is carried to a unix socket in the guest over SSH (direct-streamlocal).
 * Used for the Docker socket: ~/.tsd/machines/<name>/docker.sock → /run/docker.sock.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { chmod, rm } from 'node:fs/promises';
import type { ClientChannel } from 'ssh2';
import { pipeDuplex } from './pipe-duplex.js';

/** Opens a stream to the guest socket; the forward does not care how (a live SSH connection). */
export type OpenGuestStream = () => Promise<ClientChannel>;

export interface SocketForwardOptions {
  hostPath: string;
  open: OpenGuestStream;
  log: (line: string) => void;
}

export class SocketForward {
  private readonly connections = new Set<Socket>();

  private constructor(private readonly server: Server, private readonly hostPath: string) {}

  static async listen(options: SocketForwardOptions): Promise<SocketForward> {
    const isPipe = options.hostPath.startsWith('\\\\');
    // Only the agent that holds the machine's pid file gets here, so a leftover file is ours.
    if (!isPipe) await rm(options.hostPath, { force: true });
    // allowHalfOpen: a client's FIN must reach the guest as EOF without closing our write side.
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    const forward = new SocketForward(server, options.hostPath);
    server.on('connection', (socket) => forward.accept(socket, options));
    const previousUmask = isPipe ? undefined : process.umask(0o177); // born 0600: no window for others
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.hostPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      if (previousUmask !== undefined) process.umask(previousUmask);
    }
    if (!isPipe) await chmod(options.hostPath, 0o600);
    return forward;
  }

  async close(): Promise<void> {
    for (const socket of this.connections) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (!this.hostPath.startsWith('\\\\')) await rm(this.hostPath, { force: true });
  }

  private accept(socket: Socket, options: SocketForwardOptions): void {
    this.connections.add(socket);
    socket.once('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    options.open().then(
      (channel) => {
        if (socket.destroyed) {
          channel.close();
          return;
        }
        pipeDuplex(socket, channel); // resumes the paused socket: bytes sent early were kept
      },
      (error: Error) => {
        options.log(`forward ${options.hostPath}: ${error.message}`);
        socket.destroy();
      },
    );
  }
}
