/** The machine file's `dns` key: schema and errors, then the path to the guest's daemon.json. */
import test from 'ava';
import { SLIRP } from '../../guest/api/guest-layout.js';
import { parseGuestConfig } from '../../guest/init/guest-config.js';
import { daemonJson } from '../../guest/init/services.js';
import { parseDaemonJson } from '../../guest/dockerd/config/daemon-json.js';
import { parseMachineConfig } from '../../src/config/load.js';
import { MachineFileError } from '../../src/config/source.js';
import { buildGuestConfig } from '../../src/machine/guest-config.js';
import { issueOf, linux, yaml } from './config-fixtures.js';

const keys = { clientPublic: 'ssh-ed25519 AAAA me', hostPrivate: '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n' } as never;

test('dns: absent is empty; IPv4 addresses are kept in order', (t) => {
  t.deepEqual(parseMachineConfig('cpus: 2\n', 'm.yaml', linux).dns, []);
  t.deepEqual(parseMachineConfig(yaml('dns:', '  - 192.168.1.1', '  - 10.0.2.3'), 'm.yaml', linux).dns, ['192.168.1.1', '10.0.2.3']);
});

test('dns: a name, a port, an IPv6 address or a non-list is an error naming file, line and entry', (t) => {
  t.like(issueOf(t, yaml('cpus: 2', 'dns:', '  - 1.1.1.1', '  - resolver.lan')), {
    path: 'dns[1]',
    position: { line: 4, column: 5 },
    message: 'expected an IPv4 address such as "10.0.2.3" (QEMU\'s forwarder, the default) or "192.168.1.1", found "resolver.lan"',
  });
  const port = issueOf(t, 'dns: ["10.0.0.1:53"]\n');
  t.is(port.path, 'dns[0]');
  t.regex(port.message, /found "10\.0\.0\.1:53"$/);
  const v6 = issueOf(t, 'dns: ["::1"]\n');
  t.is(v6.path, 'dns[0]');
  t.regex(v6.message, /^"::1" is an IPv6 address; the guest's network is IPv4 only/);
  t.like(issueOf(t, 'dns: 10.0.0.1\n'), { path: 'dns' });
  const error = t.throws(() => parseMachineConfig(yaml('memory: 1GiB', 'dns: [8.8.8.8, nope]'), 'machine.yaml', linux), { instanceOf: MachineFileError });
  t.regex(error!.message, /^machine\.yaml:2:\d+: dns\[1\]: expected an IPv4 address/);
});

test('dns goes from the machine file through the guest config into daemon.json', (t) => {
  const config = parseMachineConfig('dns: [192.168.1.1, 192.168.1.2]\n', 'm.yaml', linux);
  const guest = parseGuestConfig(JSON.stringify({ ...buildGuestConfig('m', config, keys), hostTimeMs: 1 }));
  t.deepEqual(guest.dns, ['192.168.1.1', '192.168.1.2']);
  t.deepEqual(parseDaemonJson(JSON.stringify(daemonJson(guest))).dns, ['192.168.1.1', '192.168.1.2']);
  // none given (or a config from before the key): QEMU's forwarder, as before
  const plain = parseGuestConfig(JSON.stringify({ ...buildGuestConfig('m', parseMachineConfig('', 'm.yaml', linux), keys), hostTimeMs: 1 }));
  t.deepEqual(parseDaemonJson(JSON.stringify(daemonJson(plain))).dns, [SLIRP.dns]);
  const { dns: _dropped, ...older } = { ...buildGuestConfig('m', config, keys), hostTimeMs: 1 };
  t.is(parseGuestConfig(JSON.stringify(older)).dns, undefined);
  t.deepEqual(parseDaemonJson(JSON.stringify(daemonJson(parseGuestConfig(JSON.stringify(older))))).dns, [SLIRP.dns]);
});

test('the guest refuses a dns entry that is not an IPv4 address (dockerd would not start)', (t) => {
  const base = { ...buildGuestConfig('m', parseMachineConfig('', 'm.yaml', linux), keys), hostTimeMs: 1 };
  t.throws(() => parseGuestConfig(JSON.stringify({ ...base, dns: ['10.0.0.1', 'x'] })), { message: 'guest config dns[1] must be an IPv4 address: x' });
  t.throws(() => parseGuestConfig(JSON.stringify({ ...base, dns: '10.0.0.1' })), { message: /dns must be a list/ });
});
