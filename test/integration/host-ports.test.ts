// The host-ports channel end to end without a VM: the real guest sshd on a loopback port, the host
// agent's side (PortTable + HostPortsService over a real ssh2 connection with a pinned host key),
// and the guest-side client asking through the reverse-forwarded unix socket. "Guest" servers are
// loopback TCP and UDP echo servers; the host listeners must reach them.
import test from 'ava';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { isTsdError } from '../../guest/api/errors.js';
import type { PublishHook } from '../../guest/dockerd/network/api.js';
import { hostPortsPublishHook, listHostPorts, publishHostPort, unpublishHostPort } from '../../guest/lib/host-ports-client.js';
import { parseAuthorizedKeys } from '../../guest/sshd/authorized-keys.js';
import { createSshServer } from '../../guest/sshd/ssh-server.js';
import { sshGuestOpener } from '../../src/host-ports/guest-opener.js';
import { HostPortsService } from '../../src/host-ports/host-ports-service.js';
import { PortTable } from '../../src/host-ports/port-table.js';
import { GuestSsh } from '../../src/ssh/client.js';
import { freePort } from '../helpers/free-port.js';
import { parseableKeyPair } from '../../src/ssh/keys.js';

const hostKey = parseableKeyPair('tsd-test');
const clientKey = parseableKeyPair('tsd-test');

let dir: string;
let socketPath: string;
let sshd: ssh2.Server;
let ssh: GuestSsh;
let table: PortTable;
let service: HostPortsService;
let reconnect: () => Promise<GuestSsh>;
let tcpEcho: Server;
let udpEcho: UdpSocket;

test.before(async () => {
  dir = await mkdtemp(join(os.tmpdir(), 'tsd-host-ports-'));
  socketPath = join(dir, 'run', 'host-ports.sock');
  sshd = createSshServer({ hostKey: hostKey.private, authorizedKeys: parseAuthorizedKeys([clientKey.public]), env: {}, log: () => undefined });
  await new Promise<void>((resolve) => sshd.listen(0, '127.0.0.1', resolve));
  const keys = { clientPrivate: clientKey.private, clientPublic: clientKey.public, hostPrivate: hostKey.private, hostPublic: hostKey.public };
  reconnect = () => GuestSsh.connect({ port: (sshd.address() as AddressInfo).port, keys });
  ssh = await reconnect();
  table = new PortTable(sshGuestOpener(async () => ssh), () => undefined);
  service = new HostPortsService({ table, socketPath, log: () => undefined });
  await service.attach(ssh);

  tcpEcho = createServer((socket) => socket.on('data', (chunk) => socket.write(`echo:${chunk.toString()}`)));
  await new Promise<void>((resolve) => tcpEcho.listen(0, '127.0.0.1', resolve));
  udpEcho = createSocket('udp4');
  udpEcho.on('message', (message, from) => udpEcho.send(`echo:${message.toString()}`, from.port, from.address));
  await new Promise<void>((resolve) => udpEcho.bind(0, '127.0.0.1', resolve));
});

test.after.always(async () => {
  await table?.closeAll();
  ssh?.end();
  sshd?.close();
  tcpEcho?.close();
  udpEcho?.close();
  await rm(dir, { recursive: true, force: true });
});

function tcpExchange(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let answer = '';
    socket.on('connect', () => socket.write(text));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.length >= `echo:${text}`.length) socket.end();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

function udpExchange(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = createSocket('udp4');
    client.on('error', reject);
    client.on('message', (message) => {
      client.close();
      resolve(message.toString());
    });
    client.send(text, port, host);
  });
}

const guestTcpPort = () => (tcpEcho.address() as AddressInfo).port;

test('a TCP publish opens the host listener before it answers, and unpublish closes it', async (t) => {
  const hostPort = await freePort();
  const published = await publishHostPort({ proto: 'tcp', hostIp: '127.0.0.1', hostPort, guestPort: guestTcpPort() }, { socketPath });
  t.deepEqual(published, { proto: 'tcp', hostIp: '127.0.0.1', hostPort, guestPort: guestTcpPort(), guestAddress: '127.0.0.1' });
  // No wait, no retry: the listener exists once publish has answered.
  t.is(await tcpExchange('127.0.0.1', hostPort, 'hello'), 'echo:hello');
  t.true((await listHostPorts({ socketPath })).some((port) => port.hostPort === hostPort && port.proto === 'tcp'));
  await unpublishHostPort({ proto: 'tcp', hostIp: '127.0.0.1', hostPort }, { socketPath });
  const refused = await t.throwsAsync(tcpExchange('127.0.0.1', hostPort, 'again'));
  t.is((refused as NodeJS.ErrnoException).code, 'ECONNREFUSED');
});

test.serial('after the agent reconnects, the new connection serves the socket and open ports keep working', async (t) => {
  const hostPort = await freePort();
  await publishHostPort({ proto: 'tcp', hostIp: '127.0.0.1', hostPort, guestPort: guestTcpPort() }, { socketPath });
  t.teardown(() => unpublishHostPort({ proto: 'tcp', hostIp: '127.0.0.1', hostPort }, { socketPath }));
  const old = ssh;
  ssh = await reconnect();
  await service.attach(ssh); // what the agent does on reconnect; the guest replaces the old listener
  const oldClosed = old.closed();
  old.end();
  await oldClosed;
  t.is(await tcpExchange('127.0.0.1', hostPort, 'after'), 'echo:after');
  t.true((await listHostPorts({ socketPath })).some((port) => port.hostPort === hostPort));
});

test('UDP datagrams reach the guest server and answers go back to each client', async (t) => {
  const hostPort = await freePort();
  await publishHostPort({ proto: 'udp', hostIp: '127.0.0.1', hostPort, guestPort: (udpEcho.address() as AddressInfo).port }, { socketPath });
  t.teardown(() => unpublishHostPort({ proto: 'udp', hostIp: '127.0.0.1', hostPort }, { socketPath }));
  const [a, b] = await Promise.all([udpExchange('127.0.0.1', hostPort, 'one'), udpExchange('127.0.0.1', hostPort, 'two')]);
  t.is(a, 'echo:one');
  t.is(b, 'echo:two');
});

test('the host IP is honoured: a port published on 127.0.0.2 is not open on 127.0.0.1', async (t) => {
  const hostPort = await freePort();
  await publishHostPort({ proto: 'tcp', hostIp: '127.0.0.2', hostPort, guestPort: guestTcpPort() }, { socketPath });
  t.teardown(() => unpublishHostPort({ proto: 'tcp', hostIp: '127.0.0.2', hostPort }, { socketPath }));
  t.is(await tcpExchange('127.0.0.2', hostPort, 'two'), 'echo:two');
  const refused = await t.throwsAsync(tcpExchange('127.0.0.1', hostPort, 'one'));
  t.is((refused as NodeJS.ErrnoException).code, 'ECONNREFUSED');
});

test('a host port that is taken is a conflict in Docker\'s words', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const hostPort = (taken.address() as AddressInfo).port;
  const error = await t.throwsAsync(publishHostPort({ proto: 'tcp', hostIp: '127.0.0.1', hostPort, guestPort: guestTcpPort() }, { socketPath }));
  t.true(isTsdError(error));
  t.is((error as { code?: string }).code, 'conflict');
  t.regex(error!.message, new RegExp(`Bind for 127\\.0\\.0\\.1:${hostPort} failed: port is already allocated`));
});

test('port 0 lets the host choose; bad input and other versions are refused clearly', async (t) => {
  const chosen = await publishHostPort({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: 0, guestPort: guestTcpPort() }, { socketPath });
  t.teardown(() => unpublishHostPort({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: chosen.hostPort }, { socketPath }));
  t.true(chosen.hostPort > 0);
  t.is(await tcpExchange('127.0.0.1', chosen.hostPort, 'x'), 'echo:x');

  const bad = await t.throwsAsync(publishHostPort({ proto: 'sctp' as 'tcp', hostIp: '127.0.0.1', hostPort: 1, guestPort: 1 }, { socketPath }));
  t.is((bad as { code?: string }).code, 'invalid-argument');

  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect({ path: socketPath });
    socket.on('connect', () => socket.end('{"v":99,"id":7,"op":"list"}\n'));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
  const parsed = JSON.parse(answer) as { ok: boolean; id: number; error: { code: string } };
  t.is(parsed.ok, false);
  t.is(parsed.id, 7);
  t.is(parsed.error.code, 'unsupported');
});

test('without a host agent the client says so', async (t) => {
  const error = await t.throwsAsync(publishHostPort({ proto: 'tcp', hostIp: '', hostPort: 1, guestPort: 1 }, { socketPath: join(dir, 'nobody.sock') }));
  t.is((error as { code?: string }).code, 'unavailable');
  t.regex(error!.message, /no host agent listens/);
});

test('the engine\'s publish hook opens all of a container\'s ports or none', async (t) => {
  const hook: PublishHook = hostPortsPublishHook({ socketPath });
  const [first, second] = [await freePort(), await freePort()];
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(second, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const container = { containerIp: '127.0.0.1', containerPort: guestTcpPort() };
  const publications = [
    { proto: 'tcp' as const, hostIp: '127.0.0.1', hostPort: first, ...container },
    { proto: 'tcp' as const, hostIp: '127.0.0.1', hostPort: second, ...container },
  ];
  await t.throwsAsync(hook.published(publications), { message: /port is already allocated/ });
  t.false((await listHostPorts({ socketPath })).some((port) => port.hostPort === first), 'the first port was closed again');
  await hook.published(publications.slice(0, 1));
  t.is(await tcpExchange('127.0.0.1', first, 'hook'), 'echo:hook');
  await hook.unpublished(publications.slice(0, 1));
  await t.throwsAsync(tcpExchange('127.0.0.1', first, 'gone'));
});
