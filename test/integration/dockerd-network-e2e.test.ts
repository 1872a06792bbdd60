/**
 * Networks, published ports and volumes end to end: the host-mode engine (our containerd +
 * dockerd, its own bridge and subnets) driven by the real docker CLI with busybox from the fixture
 * registry. Names resolve between containers of a user network, a published port answers curl on
 * 127.0.0.1, a file persists in a named volume across containers.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { freePort } from '../helpers/free-port.js';
import { startHostEngine, type HostEngine } from '../helpers/host-engine.js';

const run = promisify(execFile);
const tag = randomBytes(3).toString('hex');
let fixtures: FixtureRegistry;
let engine: HostEngine;

test.before(async () => {
  fixtures = await startFixtureRegistry({ nginx: false });
  engine = await startHostEngine({
    daemonJson: { 'registry-mirrors': [`http://${fixtures.host}`], 'insecure-registries': [fixtures.host], 'docker-hub-origin': false },
  });
  await engine.dockerOk('pull', 'busybox');
});

test.after.always(async () => {
  await engine?.docker('rm', '-f', `a-${tag}`, `web-${tag}`);
  await engine?.docker('network', 'rm', `n-${tag}`);
  await engine?.stop();
  await fixtures?.stop();
});

test.serial('two containers on a user network resolve each other by name and alias', async (t) => {
  await engine.dockerOk('network', 'create', `n-${tag}`);
  await engine.dockerOk('run', '-d', '--name', `a-${tag}`, '--network', `n-${tag}`, '--network-alias', 'db', 'busybox', 'sleep', '300');
  const ip = (await engine.dockerOk('inspect', '-f', `{{(index .NetworkSettings.Networks "n-${tag}").IPAddress}}`, `a-${tag}`)).trim();
  t.regex(ip, /^\d+\.\d+\.\d+\.\d+$/);
  const byName = await engine.dockerOk('run', '--rm', '--network', `n-${tag}`, 'busybox', 'nslookup', `a-${tag}`);
  t.true(byName.includes(`Address: ${ip}`), byName);
  const byAlias = await engine.dockerOk('run', '--rm', '--network', `n-${tag}`, 'busybox', 'nslookup', 'db');
  t.true(byAlias.includes(`Address: ${ip}`), byAlias);
  const reverse = await engine.dockerOk('run', '--rm', '--network', `n-${tag}`, 'busybox', 'nslookup', ip);
  t.true(reverse.includes(`name = a-${tag}.n-${tag}`), reverse);
  // The network's inspect lists the running container.
  const containers = (await engine.dockerOk('network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', `n-${tag}`)).trim();
  t.is(containers, `a-${tag}`);
  const busy = await engine.docker('network', 'rm', `n-${tag}`);
  t.not(busy.code, 0);
  t.regex(busy.stderr, /has active endpoints/);
  await engine.dockerOk('rm', '-f', `a-${tag}`);
  // A fixed address on a user network; the default bridge refuses one, as Docker does.
  const subnet = (await engine.dockerOk('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', `n-${tag}`)).trim();
  const fixed = subnet.replace(/\.0\/\d+$/, '.77');
  const fixedId = (await engine.dockerOk('run', '-d', '--network', `n-${tag}`, '--ip', fixed, 'busybox', 'sleep', '300')).trim();
  t.is((await engine.dockerOk('inspect', '-f', `{{(index .NetworkSettings.Networks "n-${tag}").IPAddress}}`, fixedId)).trim(), fixed);
  const taken = await engine.docker('run', '-d', '--network', `n-${tag}`, '--ip', fixed, 'busybox', 'sleep', '300');
  t.regex(taken.stderr, /Address already in use/);
  await engine.dockerOk('rm', '-f', fixedId);
  if (taken.code === 0) await engine.docker('rm', '-f', taken.stdout.trim());
  const onBridge = await engine.docker('run', '--rm', '--ip', '172.17.0.77', 'busybox', 'true');
  t.regex(onBridge.stderr, /user specified IP address is supported on user defined networks only/);
});

test.serial('connect and disconnect a running container; none and host modes', async (t) => {
  const since = String(Math.floor(Date.now() / 1000) - 1);
  await engine.dockerOk('network', 'create', `m-${tag}`);
  const id = (await engine.dockerOk('run', '-d', 'busybox', 'sleep', '300')).trim();
  const pid = (await engine.dockerOk('inspect', '-f', '{{.State.Pid}}', id)).trim();
  // Looked at from outside, in the container's network namespace.
  const inside = async (...argv: string[]): Promise<string> => (await run('nsenter', [`--net=/proc/${pid}/ns/net`, ...argv])).stdout;
  try {
    t.is((await inside('ip', '-o', 'link')).includes('eth1'), false);
    await engine.dockerOk('network', 'connect', '--alias', 'late', `m-${tag}`, id);
    t.true((await inside('ip', '-o', 'link')).includes('eth1'));
    const ip = (await engine.dockerOk('inspect', '-f', `{{(index .NetworkSettings.Networks "m-${tag}").IPAddress}}`, id)).trim();
    t.true((await inside('ip', '-4', '-o', 'addr')).includes(`${ip}/`));
    const twice = await engine.docker('network', 'connect', `m-${tag}`, id);
    t.regex(twice.stderr, /already exists in network/);
    await engine.dockerOk('network', 'disconnect', `m-${tag}`, id);
    t.false((await inside('ip', '-o', 'link')).includes('eth1'));
    const notConnected = await engine.docker('network', 'disconnect', `m-${tag}`, id);
    t.regex(notConnected.stderr, /is not connected to network/);
    // Docker's network events, with the container as attribute.
    const events = await engine.dockerOk('events', '--since', since, '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', `network=m-${tag}`, '--format', '{{.Action}} {{.Actor.Attributes.container}}');
    t.deepEqual(events.trim().split('\n').filter((line) => line.endsWith(id)), [`connect ${id}`, `disconnect ${id}`]);
    // Connected while created (not running): attached at start, as eth1.
    const created = (await engine.dockerOk('create', 'busybox', 'sleep', '300')).trim();
    await engine.dockerOk('network', 'connect', `m-${tag}`, created);
    await engine.dockerOk('start', created);
    const createdPid = (await engine.dockerOk('inspect', '-f', '{{.State.Pid}}', created)).trim();
    const links = (await run('nsenter', [`--net=/proc/${createdPid}/ns/net`, 'ip', '-o', 'link'])).stdout;
    t.true(links.includes('eth0') && links.includes('eth1'), links);
    await engine.dockerOk('rm', '-f', created);
  } finally {
    await engine.docker('rm', '-f', id);
    await engine.docker('network', 'rm', `m-${tag}`);
  }
  const none = await engine.dockerOk('run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link');
  t.deepEqual(none.trim().split('\n').map((line) => line.split(':')[1]!.trim()), ['lo']);
  const names = (text: string): string[] => text.split('\n').slice(2).map((line) => line.split(':')[0]!.trim()).filter(Boolean).sort();
  const host = await engine.dockerOk('run', '--rm', '--network', 'host', 'busybox', 'cat', '/proc/net/dev');
  // The engine's own bridge exists only in the host's namespace (other engines add and remove links meanwhile, so no full comparison).
  const bridge = (await engine.dockerOk('network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.name"}}', 'bridge')).trim();
  t.true(names(await readFile('/proc/net/dev', 'utf8')).includes(bridge));
  t.true(names(host).includes(bridge), host);
});

test.serial('-P publishes exposed ports on ephemeral host ports', async (t) => {
  const id = (await engine.dockerOk('run', '-d', '-P', '--expose', '7000', '--expose', '7001/udp', 'busybox', 'sleep', '300')).trim();
  try {
    const ports = JSON.parse(await engine.dockerOk('inspect', '-f', '{{json .NetworkSettings.Ports}}', id)) as Record<string, { HostIp: string; HostPort: string }[]>;
    t.deepEqual(Object.keys(ports).sort(), ['7000/tcp', '7001/udp']);
    for (const bindings of Object.values(ports)) {
      t.is(bindings[0]!.HostIp, '0.0.0.0');
      t.true(Number(bindings[0]!.HostPort) >= 49153);
    }
  } finally {
    await engine.docker('rm', '-f', id);
  }
});

test.serial('-p 127.0.0.1:PORT:80 answers curl; a second container cannot take the port', async (t) => {
  const port = await freePort();
  await engine.dockerOk('run', '-d', '--name', `web-${tag}`, '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c', 'mkdir /www && echo hello-from-h5 > /www/index.html && httpd -f -p 80 -h /www');
  t.is((await engine.dockerOk('port', `web-${tag}`, '80/tcp')).trim(), `127.0.0.1:${port}`);
  let body = '';
  for (let attempt = 0; attempt < 50 && body === ''; attempt++) {
    body = await run('curl', ['-sf', '--max-time', '2', `http://127.0.0.1:${port}/`]).then((r) => r.stdout, () => '');
    if (body === '') await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.is(body, 'hello-from-h5\n');
  const clash = await engine.docker('run', '-d', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sleep', '30');
  t.not(clash.code, 0);
  t.regex(clash.stderr, new RegExp(`Bind for 127.0.0.1:${port} failed: port is already allocated`));
  await engine.dockerOk('rm', '-f', `web-${tag}`);
  // Released on removal: the port is free again.
  const again = await engine.dockerOk('run', '-d', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sleep', '30');
  await engine.dockerOk('rm', '-f', again.trim());
});

test.serial('a file persists in a named volume across containers; the volume is in use while a container holds it', async (t) => {
  const volume = `vol-${tag}`;
  await engine.dockerOk('run', '--rm', '-v', `${volume}:/data`, 'busybox', 'sh', '-c', 'echo persisted > /data/file');
  t.is((await engine.dockerOk('run', '--rm', '-v', `${volume}:/data:ro`, 'busybox', 'cat', '/data/file')).trim(), 'persisted');
  const holder = (await engine.dockerOk('run', '-d', '-v', `${volume}:/data`, 'busybox', 'sleep', '300')).trim();
  // docker system df -v: the volume with its size and one container using it.
  const df = await engine.dockerOk('system', 'df', '-v', '--format', '{{json .Volumes}}');
  const entry = (JSON.parse(df) as { Name: string; Links: string; Size: string }[]).find((v) => v.Name === volume);
  t.is(entry?.Links, '1');
  t.regex(entry?.Size ?? '', /^\d+(\.\d+)?k?B$/);
  const busy = await engine.docker('volume', 'rm', volume);
  t.regex(busy.stderr, new RegExp(`remove ${volume}: volume is in use - \\[${holder}\\]`));
  await engine.dockerOk('rm', '-f', holder);
  await engine.dockerOk('volume', 'rm', volume);
  t.is((await engine.dockerOk('volume', 'ls', '-q', '--filter', `name=${volume}`)).trim(), '');
});

test.serial('engine restart with running containers: the published port still answers and the embedded DNS is back without a request', async (t) => {
  const daemonJson = { 'registry-mirrors': [`http://${fixtures.host}`], 'insecure-registries': [fixtures.host], 'docker-hub-origin': false, 'live-restore': true };
  let first: HostEngine | undefined = await startHostEngine({ daemonJson });
  let second: HostEngine | undefined;
  const port = await freePort();
  try {
    await first.dockerOk('pull', 'busybox');
    await first.dockerOk('network', 'create', `r-${tag}`);
    await first.dockerOk('run', '-d', '--name', `srv-${tag}`, '--network', `r-${tag}`, '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c', 'mkdir /www && echo kept > /www/index.html && httpd -f -p 80 -h /www');
    const pid = (await first.dockerOk('inspect', '-f', '{{.State.Pid}}', `srv-${tag}`)).trim();
    const gateway = (await first.dockerOk('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', `r-${tag}`)).trim();
    const ip = (await first.dockerOk('inspect', '-f', `{{(index .NetworkSettings.Networks "r-${tag}").IPAddress}}`, `srv-${tag}`)).trim();
    await first.stop({ keep: true });
    const dir = first.dir;
    first = undefined;
    second = await startHostEngine({ dir, daemonJson });
    // No request has touched networking yet: the DNS server must already answer inside the container's netns.
    let answer = '';
    for (let attempt = 0; attempt < 50 && !answer.includes(ip); attempt++) {
      answer = await run('nsenter', [`--net=/proc/${pid}/ns/net`, 'busybox', 'nslookup', `srv-${tag}`, gateway]).then((r) => r.stdout, () => '');
      if (!answer.includes(ip)) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    t.true(answer.includes(`Address: ${ip}`), answer);
    const body = await run('curl', ['-sf', '--max-time', '5', `http://127.0.0.1:${port}/`]).then((r) => r.stdout, (error: Error) => error.message);
    t.is(body, 'kept\n');
  } finally {
    const engine2 = second ?? first;
    await engine2?.docker('rm', '-f', `srv-${tag}`);
    await engine2?.docker('network', 'rm', `r-${tag}`);
    await engine2?.stop();
  }
});
