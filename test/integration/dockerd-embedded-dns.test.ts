/**
 * Docker's embedded DNS address end to end: the host-mode engine driven by the real docker CLI with
 * busybox. Containers on user networks have `nameserver 127.0.0.11` and resolve names, aliases and
 * "name.network" there over UDP (busybox nslookup) and TCP (a query from inside the container's
 * netns); other names go to the daemon's `dns` (a resolver this test runs on a loopback address) or
 * to a container's own `--dns` (a resolver this test runs in its own netns); a container on two
 * networks sees both, and 127.0.0.11 follows disconnect/connect. No traffic leaves this machine.
 */
import test from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readAnswer } from '../../guest/dockerd/network/dns/dns-message.js';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { startHostEngine, type HostEngine } from '../helpers/host-engine.js';

const run = promisify(execFile);
const tag = randomBytes(3).toString('hex');
/** The daemon's upstream: its own loopback address, port 53 (as daemon.json `dns` can only say). */
const engineUpstream = `127.${20 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.53`;
/** A container's own --dns upstream, in a netns of this test's, reached over a veth. */
const third = Math.floor(Math.random() * 250);
const ownUpstream = `198.18.${third}.2`;
const upstreamNs = `tsdedns-${tag}`;
const children: ChildProcess[] = [];
let fixtures: FixtureRegistry;
let engine: HostEngine;

/**
 * A resolver answering every A query with `address` (UDP and TCP); prints "ready" once bound.
 * Run with `node -e`, in this netns or another.
 */
const RESOLVER = `
const [host, address] = [process.argv[1], process.argv[2]];
const answer = (q) => {
  let o = 12; while (q[o] !== 0) o += q[o] + 1; o += 5;
  const h = Buffer.from(q.subarray(0, 12)); h.writeUInt16BE(0x8180, 2); h.writeUInt16BE(1, 6);
  const type = q.readUInt16BE(o - 4);
  if (type !== 1) { h.writeUInt16BE(0, 6); return Buffer.concat([h, q.subarray(12, o)]); }
  const rr = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...address.split('.').map(Number)]);
  return Buffer.concat([h, q.subarray(12, o), rr]);
};
const udp = require('node:dgram').createSocket('udp4');
udp.on('message', (q, c) => udp.send(answer(q), c.port, c.address));
const tcp = require('node:net').createServer((s) => {
  let b = Buffer.alloc(0);
  s.on('error', () => {});
  s.on('data', (d) => { b = Buffer.concat([b, d]); while (b.length >= 2 && b.length >= 2 + b.readUInt16BE(0)) {
    const r = answer(b.subarray(2, 2 + b.readUInt16BE(0))); b = b.subarray(2 + b.readUInt16BE(0));
    const l = Buffer.alloc(2); l.writeUInt16BE(r.length); s.write(Buffer.concat([l, r])); } });
});
udp.bind(53, host, () => tcp.listen(53, host, () => console.log('ready')));`;

async function startResolver(argv: string[], host: string, address: string): Promise<void> {
  const [file, ...args] = [...argv, process.execPath, '-e', RESOLVER, host, address];
  const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`resolver on ${host} exited ${code}`)));
  });
}

/** One A query to 127.0.0.11 from inside a container's netns (UDP or TCP); the answered addresses. */
async function queryInside(container: string, name: string, transport: 'udp' | 'tcp'): Promise<string[]> {
  const pid = (await engine.dockerOk('inspect', '-f', '{{.State.Pid}}', container)).trim();
  const script = `
    const labels = process.argv[1].split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
    const q = Buffer.concat([Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
    const out = (m) => { process.stdout.write(m.toString('hex')); process.exit(0); };
    if (process.argv[2] === 'tcp') {
      const s = require('node:net').connect(53, '127.0.0.11', () => s.write(Buffer.concat([Buffer.from([0, q.length]), q])));
      let b = Buffer.alloc(0);
      s.on('data', (d) => { b = Buffer.concat([b, d]); if (b.length >= 2 && b.length >= 2 + b.readUInt16BE(0)) out(b.subarray(2)); });
    } else {
      const s = require('node:dgram').createSocket('udp4');
      s.on('message', out);
      s.send(q, 53, '127.0.0.11');
    }
    setTimeout(() => process.exit(3), 8000);`;
  const { stdout } = await run('nsenter', [`--net=/proc/${pid}/ns/net`, process.execPath, '-e', script, name, transport]);
  return readAnswer(Buffer.from(stdout, 'hex')).addresses;
}

/**
 * busybox nslookup (UDP) in a container against 127.0.0.11; the addresses after the "Name:" line.
 * A timeout or SERVFAIL (a forward lost on this loaded machine) is asked again, at most 3 times.
 */
async function nslookup(container: string, name: string): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    const result = await engine.docker('exec', container, 'nslookup', '-type=a', name, '127.0.0.11');
    if (attempt < 3 && /timed out|SERVFAIL/.test(result.stdout + result.stderr)) continue;
    const answer = result.stdout.split(/\nName:/).slice(1).join('\n');
    return [...answer.matchAll(/Address: (\d+\.\d+\.\d+\.\d+)/g)].map((match) => match[1]!);
  }
}

const ipOf = async (container: string, network: string): Promise<string> =>
  (await engine.dockerOk('inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container)).trim();

test.before(async () => {
  // the container's own resolver lives in a netns of this test's, 198.18.X.0/30 over a veth
  await run('ip', ['netns', 'add', upstreamNs]);
  await run('ip', ['link', 'add', `tde${tag}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', upstreamNs]);
  await run('ip', ['addr', 'add', `198.18.${third}.1/30`, 'dev', `tde${tag}`]);
  await run('ip', ['link', 'set', `tde${tag}`, 'up']);
  await run('ip', ['-n', upstreamNs, 'addr', 'add', `${ownUpstream}/30`, 'dev', 'eth0']);
  await run('ip', ['-n', upstreamNs, 'link', 'set', 'eth0', 'up']);
  await run('ip', ['-n', upstreamNs, 'link', 'set', 'lo', 'up']);
  await startResolver(['ip', 'netns', 'exec', upstreamNs], ownUpstream, '10.77.77.77');
  await startResolver([], engineUpstream, '10.66.66.66');
  fixtures = await startFixtureRegistry({ nginx: false });
  engine = await startHostEngine({
    daemonJson: { 'registry-mirrors': [`http://${fixtures.host}`], 'insecure-registries': [fixtures.host], 'docker-hub-origin': false, dns: [engineUpstream] },
  });
  await engine.dockerOk('pull', 'busybox');
});

test.after.always(async () => {
  await engine?.docker('rm', '-f', `a-${tag}`, `b-${tag}`, `c-${tag}`, `own-${tag}`);
  await engine?.docker('network', 'rm', `n1-${tag}`, `n2-${tag}`);
  await engine?.stop();
  await fixtures?.stop();
  for (const child of children) child.kill();
  await run('ip', ['link', 'del', `tde${tag}`]).catch(() => undefined);
  await run('ip', ['netns', 'del', upstreamNs]).catch(() => undefined);
});

test.serial('resolv.conf says 127.0.0.11 on user networks and the daemon dns on the default bridge', async (t) => {
  await engine.dockerOk('network', 'create', `n1-${tag}`);
  const user = await engine.dockerOk('run', '--rm', '--network', `n1-${tag}`, 'busybox', 'cat', '/etc/resolv.conf');
  t.regex(user, /^(search .*\n)?nameserver 127\.0\.0\.11\noptions (.* )?ndots:0\n$/);
  const own = await engine.dockerOk('run', '--rm', '--network', `n1-${tag}`, '--dns', ownUpstream, '--dns-search', 'ex.test', '--dns-option', 'ndots:3', 'busybox', 'cat', '/etc/resolv.conf');
  t.is(own, 'search ex.test\nnameserver 127.0.0.11\noptions ndots:3\n');
  const bridge = await engine.dockerOk('run', '--rm', 'busybox', 'cat', '/etc/resolv.conf');
  t.regex(bridge, new RegExp(`^(search .*\\n)?nameserver ${engineUpstream.replaceAll('.', '\\.')}\\n`));
  t.false(bridge.includes('127.0.0.11'));
});

test.serial('names, aliases and name.network over UDP and TCP at 127.0.0.11; PTR; the rest goes upstream', async (t) => {
  await engine.dockerOk('run', '-d', '--name', `a-${tag}`, '--network', `n1-${tag}`, '--network-alias', `svc-${tag}`, 'busybox', 'sleep', '600');
  await engine.dockerOk('run', '-d', '--name', `c-${tag}`, '--network', `n1-${tag}`, 'busybox', 'sleep', '600');
  const a = await ipOf(`a-${tag}`, `n1-${tag}`);
  t.deepEqual(await nslookup(`c-${tag}`, `a-${tag}`), [a]);
  t.deepEqual(await nslookup(`c-${tag}`, `svc-${tag}`), [a]);
  t.deepEqual(await nslookup(`c-${tag}`, `a-${tag}.n1-${tag}`), [a]);
  for (const transport of ['udp', 'tcp'] as const) {
    t.deepEqual(await queryInside(`c-${tag}`, `a-${tag}`, transport), [a], transport);
    t.deepEqual(await queryInside(`c-${tag}`, `svc-${tag}`, transport), [a], transport);
    t.deepEqual(await queryInside(`c-${tag}`, `a-${tag}.n1-${tag}`, transport), [a], transport);
    // not a container: forwarded to the daemon's dns (the loopback resolver), over the same transport
    t.deepEqual(await queryInside(`c-${tag}`, 'outside.example', transport), ['10.66.66.66'], transport);
  }
  t.deepEqual(await nslookup(`c-${tag}`, 'outside.example'), ['10.66.66.66']);
  const reverse = await engine.docker('exec', `c-${tag}`, 'nslookup', a, '127.0.0.11');
  t.true(reverse.stdout.includes(`name = a-${tag}.n1-${tag}`), reverse.stdout + reverse.stderr);
});

test.serial("a container's own --dns server gets its forwarded names; container names still answer locally", async (t) => {
  await engine.dockerOk('run', '-d', '--name', `own-${tag}`, '--network', `n1-${tag}`, '--dns', ownUpstream, 'busybox', 'sleep', '600');
  t.deepEqual(await nslookup(`own-${tag}`, 'outside.example'), ['10.77.77.77']);
  t.deepEqual(await queryInside(`own-${tag}`, 'outside.example', 'tcp'), ['10.77.77.77']);
  t.deepEqual(await nslookup(`own-${tag}`, `a-${tag}`), [await ipOf(`a-${tag}`, `n1-${tag}`)]);
});

test.serial('a container on two networks resolves names on both; 127.0.0.11 follows disconnect and connect', async (t) => {
  await engine.dockerOk('network', 'create', `n2-${tag}`);
  await engine.dockerOk('run', '-d', '--name', `b-${tag}`, '--network', `n2-${tag}`, 'busybox', 'sleep', '600');
  const a = await ipOf(`a-${tag}`, `n1-${tag}`);
  const b = await ipOf(`b-${tag}`, `n2-${tag}`);
  // c is on n1 only: b is not its business (forwarded, the upstream answers)
  t.deepEqual(await nslookup(`c-${tag}`, `b-${tag}`), ['10.66.66.66']);
  await engine.dockerOk('network', 'connect', `n2-${tag}`, `c-${tag}`);
  t.deepEqual(await nslookup(`c-${tag}`, `b-${tag}`), [b]);
  t.deepEqual(await nslookup(`c-${tag}`, `a-${tag}`), [a]);
  t.deepEqual(await queryInside(`c-${tag}`, `b-${tag}.n2-${tag}`, 'tcp'), [b]);
  // b (n2 only) does not see a, which is on n1 only
  t.deepEqual(await nslookup(`b-${tag}`, `a-${tag}`), ['10.66.66.66']);
  // leaving n1 (the network 127.0.0.11 pointed at): names on n2 still answer, n1's are gone
  await engine.dockerOk('network', 'disconnect', `n1-${tag}`, `c-${tag}`);
  t.deepEqual(await nslookup(`c-${tag}`, `b-${tag}`), [b]);
  t.deepEqual(await queryInside(`c-${tag}`, `b-${tag}`, 'tcp'), [b]);
  t.deepEqual(await nslookup(`c-${tag}`, `a-${tag}`), ['10.66.66.66']);
  await engine.dockerOk('network', 'connect', `n1-${tag}`, `c-${tag}`);
  t.deepEqual(await nslookup(`c-${tag}`, `a-${tag}`), [await ipOf(`a-${tag}`, `n1-${tag}`)]);
  t.deepEqual(await nslookup(`c-${tag}`, `b-${tag}`), [b]);
});

test.serial('docker-compose service names resolve at 127.0.0.11 (compose sets them as aliases)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-edns-compose-'));
  const project = `tsdedns${tag}`;
  const compose = (...args: string[]) =>
    run('docker-compose', ['-p', project, '-f', join(dir, 'docker-compose.yml'), ...args], { env: { ...process.env, DOCKER_HOST: engine.host }, timeout: 180_000 });
  try {
    await writeFile(join(dir, 'docker-compose.yml'), 'version: "3"\nservices:\n  web:\n    image: busybox\n    command: sleep 600\n  client:\n    image: busybox\n    command: sleep 600\n');
    await compose('up', '-d');
    const client = (await engine.dockerOk('ps', '-q', '--filter', `label=com.docker.compose.project=${project}`, '--filter', 'label=com.docker.compose.service=client')).trim();
    const web = (await engine.dockerOk('ps', '-q', '--filter', `label=com.docker.compose.project=${project}`, '--filter', 'label=com.docker.compose.service=web')).trim();
    t.truthy(client && web);
    const webIp = await ipOf(web, `${project}_default`);
    t.deepEqual(await nslookup(client, 'web'), [webIp]);
    t.deepEqual(await queryInside(client, 'web', 'tcp'), [webIp]);
  } finally {
    await compose('down', '-t', '1').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});
