/**
 * The networking service against the real kernel: network namespaces this test creates stand in
 * for containers (netnsPath = /var/run/netns/NAME). Bridges, veths, nftables rules, the embedded DNS
 * and published ports are real; traffic stays on loopback and inside these namespaces.
 */
import test from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TsdError } from '../../guest/api/errors.js';
import type { ContainerNetworkSpec, Publication } from '../../guest/dockerd/network/api.js';
import { buildAnswer, readAnswer, readQuestion } from '../../guest/dockerd/network/dns/dns-message.js';
import { defaultNetworkingOptions, type NetworkingOptions } from '../../guest/dockerd/network/network-options.js';
import { startNetworking, type NetworkService } from '../../guest/dockerd/network/network-service.js';

const run = promisify(execFile);
const tag = randomBytes(3).toString('hex');
const namespaces: string[] = [];
const children: ChildProcess[] = [];

async function netns(label: string): Promise<string> {
  const name = `tsdh5-${tag}-${label}`;
  await run('ip', ['netns', 'add', name]);
  namespaces.push(name);
  return name;
}

/** Runs a command inside a test namespace and returns stdout. */
async function inNs(name: string, argv: string[], input?: string): Promise<string> {
  const child = execFile('ip', ['netns', 'exec', name, ...argv], { timeout: 15_000 });
  if (input !== undefined) child.stdin?.end(input);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${argv.join(' ')} in ${name}: exit ${code}`);
  return out;
}

/** A socat echo server in a namespace (TCP or UDP). */
function echoServer(name: string, proto: 'tcp' | 'udp', port: number): void {
  const address = proto === 'tcp' ? `TCP4-LISTEN:${port},fork,reuseaddr` : `UDP4-RECVFROM:${port},fork`;
  const child = spawn('ip', ['netns', 'exec', name, 'socat', address, 'EXEC:cat'], { stdio: 'ignore' });
  children.push(child);
}

/** A DNS query from inside a namespace (UDP, or TCP with its length prefix); answered addresses returned. */
async function queryFrom(name: string, server: string, host: string, transport: 'udp' | 'tcp' = 'udp'): Promise<string[]> {
  const script = `
    const labels = process.argv[2].split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
    const q = Buffer.concat([Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
    const out = (m) => { process.stdout.write(m.toString('hex')); process.exit(0); };
    if (process.argv[3] === 'tcp') {
      const s = require('node:net').connect(53, process.argv[1], () => s.write(Buffer.concat([Buffer.from([0, q.length]), q])));
      let b = Buffer.alloc(0);
      s.on('data', (d) => { b = Buffer.concat([b, d]); if (b.length >= 2 && b.length >= 2 + b.readUInt16BE(0)) out(b.subarray(2)); });
    } else {
      const s = require('node:dgram').createSocket('udp4');
      s.on('message', out);
      s.send(q, 53, process.argv[1]);
    }
    setTimeout(() => process.exit(3), 8000);`;
  const hex = await inNs(name, [process.execPath, '-e', script, server, host, transport]);
  return readAnswer(Buffer.from(hex, 'hex')).addresses;
}

/** Whether a TCP echo at ip:port answers from inside a namespace (connect timeout 2 s). */
async function reaches(name: string, ip: string, port: number): Promise<boolean> {
  const echoed = await inNs(name, ['socat', '-t', '2', '-', `TCP4:${ip}:${port},connect-timeout=2`], 'probe').catch(() => '');
  return echoed === 'probe';
}

async function tcpEcho(port: number, message: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.end(message));
    let out = '';
    socket.on('data', (chunk) => (out += chunk.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

async function udpEcho(port: number, message: string): Promise<string> {
  const socket = createSocket('udp4');
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      const reply = await new Promise<string | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 500);
        socket.once('message', (data) => {
          clearTimeout(timer);
          resolve(data.toString());
        });
        socket.send(message, port, '127.0.0.1');
      });
      if (reply !== undefined) return reply;
    }
    throw new Error('no UDP echo');
  } finally {
    socket.close();
  }
}

/** Retries a TCP connection while the server in the namespace starts (explicit readiness, bounded). */
async function waitTcp(port: number, message: string): Promise<string> {
  let last: unknown;
  for (let attempt = 0; attempt < 50; attempt++) {
    // The proxy accepts at once and closes when the server is not up yet: an empty echo means retry.
    try {
      const echoed = await tcpEcho(port, message);
      if (echoed === message) return echoed;
      last = new Error(`echo was ${JSON.stringify(echoed)}`);
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw last;
}

function spec(name: string, extra: Partial<ContainerNetworkSpec> = {}): ContainerNetworkSpec {
  return { name, networkMode: 'default', ...extra };
}

async function withService(userlandProxy: boolean, body: (service: NetworkService, upstreamPort: number) => Promise<void>, extra: Partial<NetworkingOptions> = {}): Promise<void> {
  const dataRoot = await mkdtemp(join(tmpdir(), 'tsdh5-net-'));
  // A fake upstream resolver on loopback (UDP and TCP, one port) answers every forwarded name with
  // 10.9.9.9 over UDP and 10.9.9.10 over TCP.
  const upstreamTcp = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', (data: Buffer) => {
      const packet = data.subarray(2);
      const question = readQuestion(packet);
      if (!question) return socket.destroy();
      const answer = buildAnswer(packet, question, ['10.9.9.10']);
      socket.end(Buffer.concat([Buffer.from([answer.length >> 8, answer.length & 255]), answer]));
    });
  });
  await new Promise<void>((resolve) => upstreamTcp.listen(0, '127.0.0.1', () => resolve()));
  const upstreamPort = (upstreamTcp.address() as { port: number }).port;
  const upstream = createSocket('udp4');
  upstream.on('message', (packet, client) => {
    const question = readQuestion(packet);
    if (question) upstream.send(buildAnswer(packet, question, ['10.9.9.9']), client.port, client.address);
  });
  await new Promise<void>((resolve) => upstream.bind(upstreamPort, '127.0.0.1', () => resolve()));
  const service = await startNetworking(
    defaultNetworkingOptions(dataRoot, {
      bridgeName: `tsdh5${tag}${userlandProxy ? 'u' : 'n'}`,
      addressPools: [{ base: '10.193.0.0/16', size: 24 }],
      upstreams: [{ host: '127.0.0.1', port: upstreamPort }],
      userlandProxy,
      ...extra,
    }),
  );
  try {
    await body(service, upstreamPort);
  } finally {
    const bridges = service.table.all().flatMap((network) => (network.Bridge ? [network.Bridge] : []));
    await service.close();
    upstream.close();
    upstreamTcp.close();
    for (const bridge of bridges) await run('ip', ['link', 'del', 'dev', bridge]).catch(() => undefined);
    // close() keeps the table while endpoints are live (a failed assertion skips the releases).
    await run('/usr/sbin/nft', ['delete', 'table', 'ip', `tsd-${service.options.instance}`]).catch(() => undefined);
    await rm(dataRoot, { recursive: true, force: true });
  }
}

test.after.always(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const name of namespaces) await run('ip', ['netns', 'del', name]).catch(() => undefined);
});

test.serial('default bridge: veth, address, gateway reachable, NAT table, ports over the userland proxy, conflicts', async (t) => {
  await withService(true, async (service) => {
    const a = await netns('a');
    const id = randomBytes(32).toString('hex');
    const hostPort = 20000 + Math.floor(Math.random() * 20000);
    await service.prepare(id, spec('web', { portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] } }));
    const result = await service.attach(id, `/var/run/netns/${a}`);
    const endpoint = result.settings.Networks['bridge']!;
    t.regex(endpoint.IPAddress, /^10\.193\.\d+\.2$/);
    t.is(result.settings.IPAddress, endpoint.IPAddress);
    t.deepEqual(result.settings.Ports['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }]);
    const inside = await inNs(a, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
    t.true(inside.includes(`${endpoint.IPAddress}/${endpoint.IPPrefixLen}`));
    t.true((await inNs(a, ['ip', 'route'])).includes(`default via ${endpoint.Gateway}`));
    // The gateway (the bridge, in the host's namespace) answers from inside.
    const hostEcho = createServer((socket) => socket.pipe(socket).on('error', () => undefined));
    await new Promise<void>((resolve) => hostEcho.listen(0, endpoint.Gateway, () => resolve()));
    try {
      t.true(await reaches(a, endpoint.Gateway, (hostEcho.address() as { port: number }).port));
    } finally {
      hostEcho.close();
    }
    const table = (await run('/usr/sbin/nft', ['list', 'table', 'ip', `tsd-${service.options.instance}`])).stdout;
    t.true(table.includes(`ip saddr ${endpoint.IPAddress.replace(/\.\d+$/, '.0')}/24 oifname != "${service.options.bridgeName}" masquerade`));
    t.is(result.hosts.split('\n').find((line) => line.startsWith(endpoint.IPAddress)), `${endpoint.IPAddress}\t${id.slice(0, 12)}`);
    t.false(result.resolvConf.includes('nameserver 127.'));

    echoServer(a, 'tcp', 80);
    echoServer(a, 'udp', 53);
    t.is(await waitTcp(hostPort, 'hello over tcp'), 'hello over tcp');
    t.is(await udpEcho(hostPort, 'hello over udp'), 'hello over udp');

    // Same host port for another container: Docker's message.
    const b = await netns('b');
    const other = randomBytes(32).toString('hex');
    await service.prepare(other, spec('other', { portBindings: { '80/tcp': [{ HostPort: String(hostPort) }] } }));
    const conflict = await t.throwsAsync(service.attach(other, `/var/run/netns/${b}`), { instanceOf: TsdError });
    t.is(conflict?.message, `Bind for 0.0.0.0:${hostPort} failed: port is already allocated`);
    t.is((await inNs(b, ['ip', '-o', 'link'])).includes('eth0'), false, 'a failed attach leaves no interface');

    // Released on detach: the other container now gets the port; detach is idempotent.
    await service.detach(id);
    await service.detach(id);
    await service.attach(other, `/var/run/netns/${b}`);
    t.deepEqual(service.settings(other)?.Ports['80/tcp'], [{ HostIp: '0.0.0.0', HostPort: String(hostPort) }]);
    await service.release(other);
    await service.release(id);
    t.is(service.settings(id), undefined);
  });
});

test.serial('user networks: embedded DNS answers names only on the shared network and forwards the rest; ICC off isolates', async (t) => {
  await withService(true, async (service) => {
    const front = await service.createNetwork({ Name: `front-${tag}` });
    const back = await service.createNetwork({ Name: `back-${tag}`, Options: { 'com.docker.network.bridge.enable_icc': 'false' } });
    const dup = await t.throwsAsync(service.createNetwork({ Name: `front-${tag}` }), { instanceOf: TsdError });
    t.is(dup?.message, `network with name front-${tag} already exists`);
    const overlap = await t.throwsAsync(service.createNetwork({ Name: `x-${tag}`, IPAM: { Config: [{ Subnet: front.IPAM.Config[0]!.Subnet }] } }), { instanceOf: TsdError });
    t.is(overlap?.code, 'conflict');

    const [n1, n2, n3] = [await netns('d1'), await netns('d2'), await netns('d3')];
    const [id1, id2, id3] = [1, 2, 3].map(() => randomBytes(32).toString('hex')) as [string, string, string];
    const r1 = await service.attach(id1, `/var/run/netns/${n1}`, spec('alpha', { networkMode: front.Name, endpoints: { [front.Name]: { Aliases: ['db'] } } }));
    const r2 = await service.attach(id2, `/var/run/netns/${n2}`, spec('beta', { networkMode: front.Name }));
    await service.attach(id3, `/var/run/netns/${n3}`, spec('gamma', { networkMode: back.Name }));
    const gateway = front.IPAM.Config[0]!.Gateway;
    // Docker's address: 127.0.0.11 in the container's netns is DNAT-ed to the network's DNS on the gateway.
    t.regex(r2.resolvConf, /^(search .*\n)?nameserver 127\.0\.0\.11\noptions (.* )?ndots:0\n$/);
    t.deepEqual(r1.settings.Networks[front.Name]?.DNSNames, ['alpha', 'db', id1.slice(0, 12)]);

    t.deepEqual(await queryFrom(n2, '127.0.0.11', 'alpha'), [r1.settings.Networks[front.Name]!.IPAddress]);
    t.deepEqual(await queryFrom(n2, '127.0.0.11', 'DB'), [r1.settings.Networks[front.Name]!.IPAddress]);
    t.deepEqual(await queryFrom(n2, gateway, 'alpha'), [r1.settings.Networks[front.Name]!.IPAddress], 'the gateway address answers too');
    // gamma is on the other network: not resolved here, so the query goes upstream (the fake answers 10.9.9.9).
    t.deepEqual(await queryFrom(n2, '127.0.0.11', 'gamma'), ['10.9.9.9']);
    t.deepEqual(await queryFrom(n2, '127.0.0.11', 'example.test'), ['10.9.9.9']);
    // Over TCP too: local names, and forwarding over TCP.
    t.deepEqual(await queryFrom(n2, '127.0.0.11', 'alpha', 'tcp'), [r1.settings.Networks[front.Name]!.IPAddress]);
    t.deepEqual(await queryFrom(n2, '127.0.0.11', 'example.test', 'tcp'), ['10.9.9.10']);

    // A container's own --dns servers are its upstreams (here a resolver on another loopback address, port 53).
    const ownUpstream = createSocket('udp4');
    ownUpstream.on('message', (packet, client) => {
      const question = readQuestion(packet);
      if (question) ownUpstream.send(buildAnswer(packet, question, ['10.8.8.8']), client.port, client.address);
    });
    const ownAddress = `127.${Math.floor(Math.random() * 200) + 20}.${Math.floor(Math.random() * 250)}.1`;
    await new Promise<void>((resolve) => ownUpstream.bind(53, ownAddress, () => resolve()));
    try {
      const [n4, id4] = [await netns('d4'), randomBytes(32).toString('hex')];
      await service.attach(id4, `/var/run/netns/${n4}`, spec('delta', { networkMode: front.Name, dns: [ownAddress] }));
      t.deepEqual(await queryFrom(n4, '127.0.0.11', 'example.test'), ['10.8.8.8']);
      t.deepEqual(await queryFrom(n4, '127.0.0.11', 'alpha'), [r1.settings.Networks[front.Name]!.IPAddress], 'container names still answered locally');
      await service.release(id4);
    } finally {
      ownUpstream.close();
    }

    // Connect beta to back at run time: it gets eth1 and gamma becomes resolvable on back's DNS.
    await service.connect(back.Name, id2, {});
    t.true((await inNs(n2, ['ip', '-o', 'link'])).includes('eth1'));
    const backGateway = back.IPAM.Config[0]!.Gateway;
    t.deepEqual(await queryFrom(n2, backGateway, 'gamma'), [service.settings(id3)!.Networks[back.Name]!.IPAddress]);
    // 127.0.0.11 (front's DNS, beta's first network) answers for both of beta's networks, as Docker's per-container resolver does.
    t.deepEqual(await queryFrom(n2, '127.0.0.11', 'gamma'), [service.settings(id3)!.Networks[back.Name]!.IPAddress]);
    t.deepEqual(await queryFrom(n1, '127.0.0.11', 'gamma'), ['10.9.9.9'], 'alpha (front only) still does not see back');
    // ICC off on back: beta cannot reach gamma (isolated ports), but the gateway is reachable.
    echoServer(n3, 'tcp', 7000);
    const gammaIp = service.settings(id3)!.Networks[back.Name]!.IPAddress;
    t.false(await reaches(n2, gammaIp, 7000), 'ICC off: beta cannot reach gamma on back');
    const hostEcho = createServer((socket) => socket.pipe(socket).on('error', () => undefined));
    await new Promise<void>((resolve) => hostEcho.listen(0, back.IPAM.Config[0]!.Gateway, () => resolve()));
    try {
      t.true(await reaches(n3, back.IPAM.Config[0]!.Gateway, (hostEcho.address() as { port: number }).port), 'gamma reaches its gateway');
    } finally {
      hostEcho.close();
    }
    // ICC on (front): alpha reaches beta.
    echoServer(n2, 'tcp', 7000);
    const betaIp = r2.settings.Networks[front.Name]!.IPAddress;
    let reached = false;
    for (let attempt = 0; attempt < 20 && !reached; attempt++) reached = await reaches(n1, betaIp, 7000);
    t.true(reached, 'alpha reaches beta on front');
    // Networks are isolated from each other: alpha (front only) cannot reach gamma (back) through the host.
    t.false(await reaches(n1, gammaIp, 7000), 'alpha (front) cannot reach gamma (back) through the host');
    const onFront = await t.throwsAsync(service.removeNetwork(front.Name), { instanceOf: TsdError });
    t.is(onFront?.message, `error while removing network: network ${front.Name} id ${front.Id} has active endpoints`);
    await service.disconnect(back.Name, id2);
    t.false((await inNs(n2, ['ip', '-o', 'link'])).includes('eth1'));
    t.deepEqual(await queryFrom(n2, '127.0.0.11', 'gamma'), ['10.9.9.9'], 'after disconnect back\'s names are gone');
    // Disconnected from front, its first network: 127.0.0.11 follows to back's DNS.
    await service.connect(back.Name, id2, {});
    await service.disconnect(front.Name, id2);
    t.deepEqual(await queryFrom(n2, '127.0.0.11', 'gamma'), [service.settings(id3)!.Networks[back.Name]!.IPAddress]);
    t.deepEqual(await queryFrom(n2, '127.0.0.11', 'alpha'), ['10.9.9.9']);
    for (const id of [id1, id2, id3]) await service.release(id);
    await service.removeNetwork(front.Name);
    await service.removeNetwork(back.Id);
    await t.throwsAsync(service.removeNetwork('bridge'), { message: 'bridge is a pre-defined network and cannot be removed' });
  });
});

test.serial('nftables DNAT publishing: loopback client reaches the server in the namespace', async (t) => {
  await withService(false, async (service) => {
    const a = await netns('n');
    const id = randomBytes(32).toString('hex');
    const hostPort = 20000 + Math.floor(Math.random() * 20000);
    const wide = hostPort + 1;
    const result = await service.attach(id, `/var/run/netns/${a}`, spec('dnat', {
      portBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }, { HostPort: String(wide) }], '5300/udp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] },
    }));
    const table = (await run('/usr/sbin/nft', ['list', 'table', 'ip', `tsd-${service.options.instance}`])).stdout;
    t.regex(table, new RegExp(`ip daddr 127.0.0.1 tcp dport ${hostPort} dnat to 10\\.193\\.\\d+\\.2:8080`));
    echoServer(a, 'tcp', 8080);
    t.is(await waitTcp(hostPort, 'through dnat'), 'through dnat');
    echoServer(a, 'udp', 5300);
    t.is(await udpEcho(hostPort, 'udp through dnat'), 'udp through dnat');
    // Hairpin: the container reaches its own published port through the gateway (a host address).
    const gateway = result.settings.Networks['bridge']!.Gateway;
    t.is(await inNs(a, ['socat', '-t', '2', '-', `TCP4:${gateway}:${wide}`], 'hairpin'), 'hairpin');
    await service.release(id);
    const after = (await run('/usr/sbin/nft', ['list', 'table', 'ip', `tsd-${service.options.instance}`])).stdout;
    t.false(after.includes(`dport ${hostPort}`));
  });
});

test.serial('engine restart: a running container keeps its address and published port; one that died meanwhile is cleaned up', async (t) => {
  const dataRoot = await mkdtemp(join(tmpdir(), 'tsdh5-restart-'));
  const options = defaultNetworkingOptions(dataRoot, { bridgeName: `tsdh5${tag}r`, addressPools: [{ base: '10.193.0.0/16', size: 24 }], upstreams: [] });
  const live = await netns('live');
  const gone = await netns('gone');
  const [liveId, goneId] = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];
  const hostPort = 20000 + Math.floor(Math.random() * 20000);
  let service = await startNetworking(options);
  try {
    const network = await service.createNetwork({ Name: `r-${tag}` });
    const before = await service.attach(liveId, `/var/run/netns/${live}`, spec('live', { networkMode: network.Name, portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] } }));
    await service.attach(goneId, `/var/run/netns/${gone}`, spec('gone', { networkMode: network.Name }));
    // The engine stops while "live" keeps running (live restore): its bridge and table stay.
    await service.close();
    t.true((await run('ip', ['-o', 'link', 'show', 'dev', network.Bridge!])).stdout.includes(network.Bridge!));
    // "gone" exits while the engine is down: its namespace disappears.
    await run('ip', ['netns', 'del', gone]);
    namespaces.splice(namespaces.indexOf(gone), 1);

    service = await startNetworking(options);
    const after = service.settings(liveId)!;
    t.is(after.Networks[network.Name]?.IPAddress, before.settings.Networks[network.Name]?.IPAddress);
    t.deepEqual(after.Ports['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }]);
    t.is(service.settings(goneId)?.Networks[network.Name]?.IPAddress, '', 'the dead container was detached');
    echoServer(live, 'tcp', 80);
    t.is(await waitTcp(hostPort, 'after restart'), 'after restart');
    // Its address is free for the next container.
    const next = await netns('next');
    const nextId = randomBytes(32).toString('hex');
    // A stale host end with the endpoint's name (left by an engine killed mid-attach) is replaced.
    const stale = `v${nextId.slice(0, 7)}${network.Id.slice(0, 6)}`;
    await run('ip', ['link', 'add', stale, 'type', 'veth', 'peer', 'name', `tsdh5s${tag}`]);
    const reused = await service.attach(nextId, `/var/run/netns/${next}`, spec('next', { networkMode: network.Name }));
    t.regex(reused.settings.Networks[network.Name]!.IPAddress, /^10\.193\.\d+\.3$/);
    t.true((await run('ip', ['link', 'show', 'dev', stale])).stdout.includes(`master ${network.Bridge}`), 'the new endpoint is on the bridge');
    t.false((await run('ip', ['-o', 'link'])).stdout.includes(`tsdh5s${tag}`), 'the stale pair is gone');
    for (const id of [liveId, goneId, nextId]) await service.release(id);
    await service.removeNetwork(network.Id);
  } finally {
    const bridges = service.table.all().flatMap((network) => (network.Bridge ? [network.Bridge] : []));
    await service.close();
    for (const bridge of bridges) await run('ip', ['link', 'del', 'dev', bridge]).catch(() => undefined);
    // close() keeps the table while endpoints are live (a failed assertion skips the releases).
    await run('/usr/sbin/nft', ['delete', 'table', 'ip', `tsd-${service.options.instance}`]).catch(() => undefined);
    await rm(dataRoot, { recursive: true, force: true });
  }
});

test.serial('the publish hook (the VM side) sees each container\'s ports; a failing hook fails the start and undoes it', async (t) => {
  const seen: string[] = [];
  let refuse = false;
  const hook = {
    async published(publications: Publication[]) {
      if (refuse) throw new TsdError('unavailable', 'host listener refused');
      seen.push(...publications.map((p) => `+${p.proto} ${p.hostIp}:${p.hostPort}->${p.containerPort}`));
    },
    async unpublished(publications: Publication[]) {
      seen.push(...publications.map((p) => `-${p.proto} ${p.hostIp}:${p.hostPort}`));
    },
  };
  await withService(false, async (service) => {
    const a = await netns('h');
    const id = randomBytes(32).toString('hex');
    const hostPort = 20000 + Math.floor(Math.random() * 20000);
    const bindings = { portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] } };
    await service.attach(id, `/var/run/netns/${a}`, spec('hooked', bindings));
    await service.detach(id);
    t.deepEqual(seen, [`+tcp 127.0.0.1:${hostPort}->80`, `-tcp 127.0.0.1:${hostPort}`]);

    refuse = true;
    await t.throwsAsync(service.attach(id, `/var/run/netns/${a}`), { message: 'host listener refused' });
    t.false((await inNs(a, ['ip', '-o', 'link'])).includes('eth0'), 'no interface left');
    t.false((await run('/usr/sbin/nft', ['list', 'table', 'ip', `tsd-${service.options.instance}`])).stdout.includes(`dport ${hostPort}`), 'no rule left');
    refuse = false;
    const again = await service.attach(id, `/var/run/netns/${a}`);
    t.deepEqual(again.settings.Ports['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }], 'the port was released');
    await service.release(id);
  }, { publishHook: hook });
});
