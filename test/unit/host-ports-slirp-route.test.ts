// Which published ports QEMU's slirp carries (a run-time hostfwd to the guest's address and the
// same port, where the guest engine's publication takes over) and which stay on the SSH channel.
import test from 'ava';
import type { PublishedPort } from '../../guest/api/host-ports.js';
import { slirpRoute } from '../../src/host-ports/slirp-route.js';

const port = (over: Partial<PublishedPort>): PublishedPort => ({
  proto: 'tcp',
  hostIp: '0.0.0.0',
  hostPort: 8080,
  guestPort: 80,
  guestAddress: '172.17.0.2',
  ...over,
});

test('an all-addresses TCP binding to a container goes through slirp, to the guest address and the same port', (t) => {
  t.deepEqual(slirpRoute(port({})), { slirp: true, rule: 'tcp:0.0.0.0:8080-10.0.2.15:8080', removeRule: 'tcp:0.0.0.0:8080' });
});

test('"" is all IPv4 addresses; UDP is carried too', (t) => {
  t.deepEqual(slirpRoute(port({ hostIp: '', proto: 'udp', hostPort: 5353 })), {
    slirp: true,
    rule: 'udp:0.0.0.0:5353-10.0.2.15:5353',
    removeRule: 'udp:0.0.0.0:5353',
  });
});

test('a binding to one host IP stays on SSH: the guest rule for it does not match what slirp delivers', (t) => {
  for (const hostIp of ['127.0.0.1', '192.168.1.5', '::', '::1']) {
    const route = slirpRoute(port({ hostIp }));
    t.false(route.slirp, hostIp);
    if (!route.slirp) t.regex(route.why, /10\.0\.2\.15/);
  }
});

test('a host-chosen port (0) stays on SSH: the guest has no publication of that port', (t) => {
  t.false(slirpRoute(port({ hostPort: 0 })).slirp);
});

test('a target on the guest loopback or over IPv6 stays on SSH: no engine publication is behind it', (t) => {
  for (const guestAddress of ['127.0.0.1', '127.0.0.53', '::1', 'fd00::2']) {
    t.false(slirpRoute(port({ guestAddress })).slirp, guestAddress);
  }
});
