/**
 * direct-streamlocal@openssh.com: a channel joined to a unix socket in the guest (the host's Docker
 * socket reaches /run/docker.sock this way). Bytes pass unbuffered both ways, and each direction
 * ends on its own (half-close), which Docker's hijacked attach streams rely on.
 */
import { connect, type Socket } from 'node:net';
import type { ServerChannel } from 'ssh2';

export type AcceptChannel = () => ServerChannel;
export type RejectChannel = () => void;

export function forwardToUnixSocket(socketPath: string, accept: AcceptChannel, reject: RejectChannel): void {
  joinWhenConnected(connect({ path: socketPath, allowHalfOpen: true }), accept, reject);
}

/**
 * direct-tcpip: a channel joined to a TCP address in the guest, the same way. The host agent
 * carries published TCP ports this way (guest/api/host-ports.ts).
 */
export function forwardToTcp(host: string, port: number, accept: AcceptChannel, reject: RejectChannel): void {
  joinWhenConnected(connect({ host, port, allowHalfOpen: true }), accept, reject);
}

function joinWhenConnected(socket: Socket, accept: AcceptChannel, reject: RejectChannel): void {
  socket.once('error', () => reject());
  socket.once('connect', () => {
    socket.removeAllListeners('error');
    socket.setNoDelay?.(true);
    const channel = accept();
    let clientDone = false;
    let socketDone = false;
    const closeIfDone = () => {
      if (clientDone && socketDone) channel.close();
    };
    // client → socket: the channel's EOF becomes a write shutdown on the socket.
    channel.pipe(socket);
    channel.on('end', () => {
      clientDone = true;
      closeIfDone();
    });
    // socket → client: the socket's end becomes a channel EOF, sent after the data already queued.
    socket.pipe(channel, { end: false });
    socket.on('end', () => {
      const sendEof = () => {
        channel.eof();
        socketDone = true;
        closeIfDone();
      };
      if (channel.writableLength === 0) sendEof();
      else channel.once('drain', sendEof);
    });
    socket.on('error', () => channel.close());
    channel.on('close', () => socket.destroy());
  });
}
