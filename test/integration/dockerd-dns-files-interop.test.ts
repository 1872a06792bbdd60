/**
 * A container's /etc/resolv.conf and /etc/hosts on a user network, ours beside Debian's real
 * dockerd (docker.io 20.10, its own socket and data dirs, no iptables): the same `docker run`
 * flags must give the same text (container addresses aside). Both daemons read this host's
 * resolv.conf. Busybox comes from the fixture registry for ours and from Debian's busybox-static
 * for theirs.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { startDebianDockerd, type DebianDockerd } from '../helpers/debian-dockerd.js';
import { startHostEngine, type HostEngine } from '../helpers/host-engine.js';

const tag = randomBytes(3).toString('hex');
const network = `dnsfiles-${tag}`;
let fixtures: FixtureRegistry;
let engine: HostEngine;
let debian: DebianDockerd;
let dir: string;

test.before(async () => {
  fixtures = await startFixtureRegistry({ nginx: false });
  engine = await startHostEngine({ daemonJson: { 'registry-mirrors': [`http://${fixtures.host}`], 'insecure-registries': [fixtures.host], 'docker-hub-origin': false } });
  await engine.dockerOk('pull', 'busybox');
  await engine.dockerOk('network', 'create', network);
  dir = await mkdtemp(join(tmpdir(), 'tsd-dnsfiles-'));
  debian = await startDebianDockerd({
    dir,
    args: ['--bridge', 'none', '--containerd-namespace', `tsd-dnsfiles-${process.pid}`, '--containerd-plugins-namespace', `tsd-dnsfiles-${process.pid}-plugins`],
  });
  await debian.importBusybox('busybox');
  // A subnet of Docker's own pools could meet another engine's; this one is the test's.
  const third = Math.floor(Math.random() * 250);
  await debian.docker(['network', 'create', '--subnet', `10.214.${third}.0/24`, '-o', `com.docker.network.bridge.name=tdf${tag}`, network]);
});

test.after.always(async () => {
  await engine?.docker('network', 'rm', network);
  await engine?.stop();
  await debian?.docker(['network', 'rm', network]).catch(() => undefined);
  await debian?.stop();
  await fixtures?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** resolv.conf, then hosts with the container's own address replaced by "ADDR". */
async function files(runner: (args: string[]) => Promise<string>, flags: string[]): Promise<string> {
  const out = await runner(['run', '--rm', '--network', network, ...flags, 'busybox', 'sh', '-c', 'cat /etc/resolv.conf; echo ---; cat /etc/hosts']);
  return out.replace(/^\d+\.\d+\.\d+\.\d+\t/gm, 'ADDR\t');
}

const ours = (args: string[]) => engine.dockerOk(...args);
const theirs = async (args: string[]) => (await debian.docker(args)).stdout;

for (const [title, flags] of [
  ['no DNS flags', ['--hostname', 'plain']],
  ['--dns, --dns-search and --dns-option with ndots', ['--hostname', 'hh', '--dns', '10.9.9.9', '--dns-search', 'ex.com', '--dns-option', 'ndots:3', '--dns-option', 'timeout:2']],
  ['--dns-option without ndots, --domainname', ['--hostname', 'hh', '--domainname', 'dom.ain', '--dns-option', 'attempts:2']],
  ['--add-host', ['--hostname', 'hx', '--add-host', 'db.lan:10.1.2.3']],
] as const) {
  test.serial(`resolv.conf and hosts as Debian's dockerd writes them: ${title}`, async (t) => {
    const expected = await files(theirs, [...flags]);
    t.true(expected.includes('nameserver 127.0.0.11\n'), expected);
    t.is(await files(ours, [...flags]), expected);
  });
}
