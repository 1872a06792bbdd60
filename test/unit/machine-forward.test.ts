// The Docker socket forward over a real ssh2 connection on loopback: an in-process ssh2 server
// stands in for the guest's sshd (same protocol), a unix socket server for the guest's docker.sock.
import test from 'ava';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { GuestSsh } from '../../src/ssh/client.js';
import { SocketForward } from '../../src/forward/socket-forward.js';
import { pipeDuplex } from '../../src/forward/pipe-duplex.js';
import { publicKeyBlob, type MachineKeys } from '../../src/ssh/keys.js';
import { parseableKeyPair } from '../../src/ssh/keys.js';

function makeKeys(): MachineKeys {
  const client = parseableKeyPair('tsd-test');
  const host = parseableKeyPair('tsd-test');
  return { clientPrivate: client.private, clientPublic: client.public, hostPrivate: host.private, hostPublic: host.public };
}

/** A minimal sshd: public-key auth for one key, direct-streamlocal to any unix socket. */
function startSshd(keys: MachineKeys): Promise<{ server: ssh2.Server; port: number }> {
  const allowed = publicKeyBlob(keys.clientPublic);
  const server = new ssh2.Server({ hostKeys: [keys.hostPrivate] }, (client) => {
    client.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && ctx.key.data.equals(allowed)) ctx.accept();
      else ctx.reject(['publickey']);
    });
    client.on('openssh.streamlocal', (accept, _reject, info) => {
      const channel = accept();
      const upstream = connect({ path: info.socketPath, allowHalfOpen: true });
      pipeDuplex(channel, upstream);
    });
    client.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

function listenUnix(path: string, onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, onConnection);
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

interface Rig {
  dir: string;
  forward: SocketForward;
  ssh: GuestSsh;
  close: () => Promise<void>;
}

async function rig(t: { teardown: (fn: () => Promise<void>) => void }, guest: (socket: Socket) => void): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-fwd-'));
  const keys = makeKeys();
  const guestSockets = new Set<Socket>();
  const guestServer = await listenUnix(join(dir, 'guest.sock'), (socket) => {
    guestSockets.add(socket);
    guest(socket);
  });
  const { server, port } = await startSshd(keys);
  const ssh = await GuestSsh.connect({ port, keys });
  const forward = await SocketForward.listen({
    hostPath: join(dir, 'docker.sock'),
    open: () => ssh.openStreamLocal(join(dir, 'guest.sock')),
    log: () => {},
  });
  const close = async () => {
    await forward.close();
    ssh.end();
    server.close();
    guestServer.close();
    for (const socket of guestSockets) socket.destroy();
    await rm(dir, { recursive: true, force: true });
  };
  t.teardown(close);
  return { dir, forward, ssh, close };
}

function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

test('the host socket is 0600 and carries a request and its answer', async (t) => {
  const { dir } = await rig(t, (socket) => {
    socket.once('data', (chunk) => socket.end(`answer to ${chunk.toString()}`));
  });
  t.is((await stat(join(dir, 'docker.sock'))).mode & 0o777, 0o600);
  const client = connect(join(dir, 'docker.sock'));
  client.write('ping');
  t.is(await readAll(client), 'answer to ping');
});

test('half-close passes through: the guest sees EOF and can still answer', async (t) => {
  const { dir } = await rig(t, (socket) => {
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('end', () => socket.end(`got ${received.length} bytes: ${received}`));
  });
  const client = connect({ path: join(dir, 'docker.sock'), allowHalfOpen: true });
  client.write('stdin data');
  client.end(); // like `docker run -i` closing stdin
  t.is(await readAll(client), 'got 10 bytes: stdin data');
});

test('bytes flow unbuffered both ways before either side closes', async (t) => {
  const { dir } = await rig(t, (socket) => {
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('end', () => socket.end());
  });
  const client = connect(join(dir, 'docker.sock'));
  const echoed = (): Promise<string> => new Promise((resolve) => client.once('data', (chunk) => resolve(chunk.toString())));
  for (const word of ['one', 'two', 'three']) {
    const answer = echoed();
    client.write(word);
    t.is(await answer, word);
  }
  client.destroy();
});
