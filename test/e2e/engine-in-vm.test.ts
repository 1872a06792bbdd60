// The whole engine in a machine's guest (x86_64, tcg), used through the real docker CLI on the
// machine's socket: containers run there (containerd → shim → tsd-runc, networking through the
// image's iproute2 and nftables), named volumes keep data between containers, containers on a user
// network find each other by name, `tsd run -it` is a shell on a pty, published ports (TCP and UDP, by host IP, -P) are opened on the
// user's host by the guest dockerd's publish hook and the host agent and closed again when the
// container stops, a host folder the machine shares binds at the same path (a missing path outside
// the shares is refused, naming the machine file key), a running container outlives a dockerd
// crash (the init restarts dockerd, which re-attaches it), and after `tsd machine stop` a tsd verb
// starts the default machine again, which still has its images, volumes and stopped containers.
// Images come from the fixture registry on the host's loopback, reached from the guest as
// 10.0.2.2 (QEMU user networking) through the machine's registryMirrors.
// Two boots in all (each costs a minute or more under tcg): one for every check, and the
// stop/start cycle of the last test.
import test, { type ExecutionContext } from 'ava';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { NGINX_INDEX_HTML } from '../fixtures/nginx-rootfs.js';
import { E2eMachine, TSD, type Run } from '../helpers/e2e-machine.js';
import { freePort } from '../helpers/free-port.js';
import { boundAddresses, connectOnce } from '../helpers/host-sockets.js';
import { onPty } from '../helpers/tsd-pty.js';

// image build (first time) + a tcg boot + pulls and container starts on a shared 2-core host,
// generous: under tcg at a load of 10 the nginx pull alone has taken over 5 minutes
const TIMEOUT = 15 * 60_000;
const STEP_TIMEOUT = 10 * 60_000;

let machine: E2eMachine;
let fixtures: FixtureRegistry | undefined;
/** A host folder the machine shares (9p, same path in the guest). */
let shared = '';

test.before(async (t) => {
  t.timeout(TIMEOUT + 60_000);
  fixtures = await startFixtureRegistry();
  const port = fixtures.host.split(':')[1]!;
  shared = await mkdtemp(join(tmpdir(), 'tsd-e2e-share-'));
  machine = await E2eMachine.prepare(
    'e2e-engine',
    [
      'arch: x86_64',
      'cpus: 2',
      'memory: 1GiB',
      'disk: 4',
      `mounts: [{location: ${shared}, writable: true}]`,
      `registryMirrors: ["http://10.0.2.2:${port}"]`,
      `insecureRegistries: ["10.0.2.2:${port}"]`,
      '',
    ].join('\n'),
    // the default machine: the last test has `tsd images` start it after a stop, as a user's would
    { name: 'default' },
  );
  const created = await machine.tsd('machine', 'create', machine.name, '-f', machine.machineFile);
  if (created.code !== 0) throw new Error(`tsd machine create: ${created.stderr}`);
  const started = await machine.tsd('machine', 'start', machine.name);
  if (started.code !== 0) throw new Error(await machine.explain('tsd machine start', started));
  await machine.status();
});

test.after.always(async () => {
  await machine?.cleanup();
  await fixtures?.stop();
  if (shared) await rm(shared, { recursive: true, force: true });
});

/** docker …, asserting exit 0 with the serial log in the message; returns stdout. */
async function docker(t: ExecutionContext, ...args: string[]): Promise<string> {
  const result = await machine.docker(...args);
  t.is(result.code, 0, await machine.explain(`docker ${args.join(' ')}`, result));
  return result.stdout;
}

/**
 * curl on the host, retrying while the server in the container starts. The host listener exists
 * before that server does: an early connection is accepted on the host and then reset when the
 * forward finds nothing listening in the container (as through Docker's userland proxy), so every
 * error is retried, not only a refused connection.
 */
function curl(port: number): Promise<Run> {
  return machine.run('/usr/bin/curl', ['-sS', '--max-time', '60', '--retry', '30', '--retry-all-errors', '--retry-delay', '2', `http://127.0.0.1:${port}/`]);
}

/** Sends datagrams to 127.0.0.1:PORT (one a second, up to `attempts`) until one is answered. */
function udpExchange(port: number, payload: string, attempts = 60): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    let sent = 0;
    const send = () => {
      if (sent++ >= attempts) {
        clearInterval(timer);
        socket.close();
        reject(new Error(`no answer from 127.0.0.1:${port}/udp after ${attempts} datagrams`));
        return;
      }
      socket.send(payload, port, '127.0.0.1');
    };
    const timer = setInterval(send, 1000);
    socket.on('message', (message) => {
      clearInterval(timer);
      socket.close();
      resolve(message.toString());
    });
    // An ICMP port unreachable (the server not bound yet) surfaces as an error: keep trying.
    socket.on('error', () => undefined);
    send();
  });
}

const unique = (prefix: string) => `${prefix}-${machine.name}`;

test.serial('docker run prints; a published port answers curl on the host', async (t) => {
  t.timeout(TIMEOUT); // pulls both fixture images
  t.is(await docker(t, 'run', '--rm', 'busybox', 'echo', 'hi'), 'hi\n');

  const hostPort = await freePort();
  const nginx = (await docker(t, 'run', '-d', '-p', `127.0.0.1:${hostPort}:80`, 'nginx')).trim();
  const page = await curl(hostPort);
  t.is(page.code, 0, await machine.explain(`curl http://127.0.0.1:${hostPort}/ on the host`, page));
  t.is(page.stdout, NGINX_INDEX_HTML);
  await docker(t, 'rm', '-f', nginx);
});

test.serial('a named volume keeps what one container wrote for the next one', async (t) => {
  t.timeout(STEP_TIMEOUT);
  const volume = unique('vol');
  t.is((await docker(t, 'volume', 'create', volume)).trim(), volume);
  await docker(t, 'run', '--rm', '-v', `${volume}:/data`, 'busybox', 'sh', '-c', 'echo written by the first > /data/note');
  t.is(await docker(t, 'run', '--rm', '-v', `${volume}:/data:ro`, 'busybox', 'cat', '/data/note'), 'written by the first\n');
  await docker(t, 'volume', 'rm', volume);
});

test.serial('-v binds a shared host folder at the same path; a missing path outside the shares is refused', async (t) => {
  t.timeout(STEP_TIMEOUT);
  await writeFile(join(shared, 'from-host.txt'), 'written on the host\n');
  const script = 'cat /src/from-host.txt; echo written in the container > /src/from-container.txt';
  t.is(await docker(t, 'run', '--rm', '-v', `${shared}:/src`, 'busybox', 'sh', '-c', script), 'written on the host\n');
  t.is(await readFile(join(shared, 'from-container.txt'), 'utf8'), 'written in the container\n');

  const outside = `/tsd-e2e-not-shared-${machine.name}`;
  const refused = await machine.docker('run', '--rm', '-v', `${outside}:/x`, 'busybox', 'true');
  t.is(refused.code, 125, await machine.explain('docker run -v with a path outside the shares', refused));
  t.regex(refused.stderr, new RegExp(`Mounts denied: the path ${outside} is not shared from the host .*key "mounts"`));
});

test.serial('tsd run -it busybox sh is an interactive shell through the machine\'s socket, resized with the window', async (t) => {
  t.timeout(STEP_TIMEOUT);
  // The tsd verbs, pointed at this machine's socket (the host agent's forward into the guest).
  const env = { ...machine.env, TSD_ENGINE_SOCKET: machine.dockerSocket };
  const result = await onPty(TSD, env, ['run', '-it', '--rm', 'busybox', 'sh'], STEP_TIMEOUT);
  t.regex(result, /30 100/);
  t.regex(result, /42x/);
  t.regex(result, /40 120/);
  t.regex(result, /EXIT 5\n$/);
});

test.serial('two containers on a user-defined network reach each other by name', async (t) => {
  t.timeout(STEP_TIMEOUT);
  const network = unique('net');
  const [a, b] = [unique('a'), unique('b')];
  await docker(t, 'network', 'create', network);
  // Each serves its /etc (so /hostname is its short container id) with busybox httpd.
  const ids: Record<string, string> = {};
  for (const name of [a, b]) {
    ids[name] = (await docker(t, 'run', '-d', '--name', name, '--network', network, 'busybox', 'httpd', '-f', '-p', '8000', '-h', '/etc')).trim();
  }
  // The peer's httpd may still be starting: a few tries, each resolving the name afresh.
  const fetchFrom = (from: string, to: string) =>
    docker(t, 'exec', from, 'sh', '-c', `for i in $(seq 30); do wget -qO- http://${to}:8000/hostname && exit 0; sleep 1; done; exit 1`);
  t.is((await fetchFrom(a, b)).trim(), ids[b]!.slice(0, 12));
  t.is((await fetchFrom(b, a)).trim(), ids[a]!.slice(0, 12));
  // The embedded DNS answers the name with the peer's address on this network.
  const address = (await docker(t, 'inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, b)).trim();
  t.regex(address, /^\d+\.\d+\.\d+\.\d+$/);
  t.regex(await docker(t, 'exec', a, 'nslookup', b), new RegExp(`Address:\\s+${address.replaceAll('.', '\\.')}\\b`));
  await docker(t, 'rm', '-f', a, b);
  await docker(t, 'network', 'rm', network);
});

test.serial('a published UDP port relays datagrams from the host to the container and back', async (t) => {
  t.timeout(STEP_TIMEOUT);
  const hostPort = await freePort();
  // Debian's busybox nc has no UDP mode; the nginx fixture (Debian minbase) has perl.
  const echo = 'use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalPort => 7001, Proto => "udp") or die $!; while (1) { $s->recv(my $m, 2048); $s->send("echo:$m") }';
  const id = (await docker(t, 'run', '-d', '-p', `127.0.0.1:${hostPort}:7001/udp`, 'nginx', 'perl', '-e', echo)).trim();
  t.deepEqual(await boundAddresses('udp', hostPort), ['127.0.0.1']);
  t.is(await udpExchange(hostPort, 'ping'), 'echo:ping');
  t.is(await udpExchange(hostPort, 'again'), 'echo:again');
  await docker(t, 'rm', '-f', id);
});

test.serial('the host IP of -p is honoured on the host; docker stop closes the forwards', async (t) => {
  t.timeout(STEP_TIMEOUT);
  const [local, everywhere] = [await freePort(), await freePort()];
  const id = (await docker(t, 'run', '-d', '-p', `127.0.0.1:${local}:80`, '-p', `${everywhere}:80`, 'nginx')).trim();
  // Listening sockets exist when `docker run -d` has returned: the engine opens them before answering.
  t.deepEqual(await boundAddresses('tcp', local), ['127.0.0.1']);
  t.deepEqual(await boundAddresses('tcp', everywhere), ['0.0.0.0']);
  for (const port of [local, everywhere]) {
    const page = await curl(port);
    t.is(page.code, 0, await machine.explain(`curl http://127.0.0.1:${port}/`, page));
    t.is(page.stdout, NGINX_INDEX_HTML);
  }
  await docker(t, 'stop', id);
  for (const port of [local, everywhere]) {
    t.is(await connectOnce(port), 'ECONNREFUSED', `127.0.0.1:${port} after docker stop`);
    t.deepEqual(await boundAddresses('tcp', port), []);
  }
  await docker(t, 'rm', id);
});

test.serial('-P publishes the exposed port on a host port that answers', async (t) => {
  t.timeout(STEP_TIMEOUT);
  const id = (await docker(t, 'run', '-d', '-P', 'nginx')).trim();
  const mapped = await docker(t, 'port', id, '80/tcp');
  const port = Number(/^0\.0\.0\.0:(\d+)$/m.exec(mapped)?.[1]);
  t.true(Number.isInteger(port) && port > 0, `docker port: ${mapped}`);
  t.deepEqual(await boundAddresses('tcp', port), ['0.0.0.0']);
  const page = await curl(port);
  t.is(page.code, 0, await machine.explain(`curl http://127.0.0.1:${port}/`, page));
  t.is(page.stdout, NGINX_INDEX_HTML);
  await docker(t, 'rm', '-f', id);
  t.is(await connectOnce(port), 'ECONNREFUSED');
});

test.serial('a host port already taken on the host is docker\'s "port is already allocated" error', async (t) => {
  t.timeout(STEP_TIMEOUT);
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as { port: number }).port;
  const name = unique('taken');
  try {
    const result = await machine.docker('run', '-d', '--name', name, '-p', `127.0.0.1:${port}:80`, 'nginx');
    t.is(result.code, 125, await machine.explain('docker run on a taken host port', result));
    t.regex(result.stderr, new RegExp(`Bind for 127\\.0\\.0\\.1:${port} failed: port is already allocated`));
  } finally {
    holder.close();
  }
  // Nothing half-open is left: once the host frees the port, the same publication works.
  await docker(t, 'rm', '-f', name);
  const id = (await docker(t, 'run', '-d', '-p', `127.0.0.1:${port}:80`, 'nginx')).trim();
  const page = await curl(port);
  t.is(page.code, 0, await machine.explain(`curl http://127.0.0.1:${port}/`, page));
  await docker(t, 'rm', '-f', id);
});

test.serial('a running container survives a dockerd crash in the guest: the init restarts dockerd, which re-attaches it', async (t) => {
  t.timeout(STEP_TIMEOUT);
  const name = unique('survivor');
  await docker(t, 'run', '-d', '--name', name, 'busybox', 'sh', '-c', 'while true; do echo tick; sleep 1; done');
  const startedAt = (await docker(t, 'inspect', '--format', '{{.State.StartedAt}} {{.State.Pid}}', name)).trim();
  // kill -9 the guest's dockerd (a process of this test's own VM), found by its bundle's path in
  // /proc (the guest's busybox has no pgrep; '[/]' so the pattern does not match this shell).
  const script = "for p in /proc/[0-9]*; do grep -q '[/]opt/tsd/dockerd.mjs' $p/cmdline 2>/dev/null && kill -9 ${p#/proc/} && echo killed; done";
  const killed = await machine.tsd('machine', 'ssh', machine.name, '--', script);
  t.is(killed.stdout, 'killed\n', await machine.explain('kill -9 the guest dockerd', killed));
  // The supervisor starts it again (with backoff); poll until the API answers, no fixed sleep.
  let after = '';
  for (let attempt = 0; attempt < 120 && after === ''; attempt++) {
    const result = await machine.docker('inspect', '--format', '{{.State.Status}} {{.State.StartedAt}} {{.State.Pid}}', name);
    if (result.code === 0) after = result.stdout.trim();
    else await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  t.is(after, `running ${startedAt}`, 'the same process, still running, after dockerd came back');
  t.is(await docker(t, 'exec', name, 'echo', 'alive'), 'alive\n');
  // Its output still reaches the log after the restart.
  const before = (await docker(t, 'logs', name)).split('\n').length;
  let grown = false;
  for (let attempt = 0; attempt < 60 && !grown; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    grown = (await docker(t, 'logs', name)).split('\n').length > before;
  }
  t.true(grown, 'new log lines after the restart');
  await docker(t, 'rm', '-f', name);
});

test.serial('tsd machine stop, then a tsd verb starting the default machine: images, named volumes with their data and stopped containers are kept', async (t) => {
  t.timeout(TIMEOUT);
  const volume = unique('keep');
  const name = unique('stopped');
  const append = 'echo kept >> /data/log && cat /data/log';
  t.is(await docker(t, 'run', '--name', name, '-v', `${volume}:/data`, 'busybox', 'sh', '-c', append), 'kept\n');
  const images = await docker(t, 'images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}');
  t.regex(images, /^busybox:latest /m);
  t.regex(images, /^nginx:latest /m);

  const stopped = await machine.tsd('machine', 'stop', machine.name);
  t.is(stopped.code, 0, stopped.stderr);
  // A docker verb of tsd starts the stopped default machine by itself (what `tsd machine start` does).
  const listed = await machine.tsd('images');
  t.is(listed.code, 0, await machine.explain('tsd images (starting the stopped default machine)', listed));
  t.regex(listed.stderr, /starting machine "default"/);
  t.regex(listed.stdout, /^busybox\s+latest\s/m);
  t.is((await machine.status()).state, 'running');

  t.is(await docker(t, 'images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}'), images);
  t.true((await docker(t, 'volume', 'ls', '--format', '{{.Name}}')).split('\n').includes(volume));
  t.regex(await docker(t, 'ps', '-a', '--filter', `name=${name}`, '--format', '{{.Names}} {{.Status}}'), new RegExp(`^${name} Exited \\(0\\)`));
  // Restartable, and its volume still holds the first run's line.
  t.is(await docker(t, 'start', '-a', name), 'kept\nkept\n');
  t.is(await docker(t, 'run', '--rm', '-v', `${volume}:/data`, 'busybox', 'cat', '/data/log'), 'kept\nkept\n');

  const stoppedAgain = await machine.tsd('machine', 'stop', machine.name);
  t.is(stoppedAgain.code, 0, stoppedAgain.stderr);
  const deleted = await machine.tsd('machine', 'delete', machine.name, '--force');
  t.is(deleted.code, 0, deleted.stderr);
});
