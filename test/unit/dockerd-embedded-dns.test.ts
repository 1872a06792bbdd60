/**
 * The embedded DNS at 127.0.0.11 (pure parts): resolv.conf as Debian's dockerd 20.10 writes it
 * (expected texts taken from that daemon: `docker run --network NET busybox cat /etc/resolv.conf`),
 * the container netns DNAT table, and who resolves what (asker-scoped, several networks).
 */
import test from 'ava';
import { renderResolvConf } from '../../guest/dockerd/network/container-files.js';
import { NameDirectory } from '../../guest/dockerd/network/dns/name-directory.js';
import type { ContainerRecord, LiveEndpoint } from '../../guest/dockerd/network/endpoint-record.js';
import type { NetworkRecord } from '../../guest/dockerd/network/network-record.js';
import { renderContainerDns, renderContainerDnsDelete } from '../../guest/dockerd/network/nft/container-dns.js';

test('resolv.conf on a user network: what Debian dockerd writes', (t) => {
  const host = 'nameserver 10.255.255.53\n';
  t.is(renderResolvConf({ hostText: host, embedded: true }), 'nameserver 127.0.0.11\noptions ndots:0\n');
  // --dns 10.9.9.9 --dns-search ex.com --dns-option ndots:3 --dns-option timeout:2
  t.is(
    renderResolvConf({ hostText: host, embedded: true, dns: ['10.9.9.9'], dnsSearch: ['ex.com'], dnsOptions: ['ndots:3', 'timeout:2'] }),
    'search ex.com\nnameserver 127.0.0.11\noptions ndots:3 timeout:2\n',
  );
  // --dns-option attempts:2: ndots:0 is appended after the user's options
  t.is(renderResolvConf({ hostText: host, embedded: true, dnsOptions: ['attempts:2'] }), 'nameserver 127.0.0.11\noptions attempts:2 ndots:0\n');
  // ndots:0 given explicitly does not count as "set" (Docker appends its own again)
  t.is(renderResolvConf({ hostText: host, embedded: true, dnsOptions: ['ndots:0'] }), 'nameserver 127.0.0.11\noptions ndots:0 ndots:0\n');
  // the host's search and options carry over; IPv6 servers stay listed (the embedded DNS forwards IPv4 only)
  t.is(
    renderResolvConf({ hostText: '# hi\nnameserver 127.0.0.53\nnameserver 2001:db8::1\nsearch a.example b.example\noptions edns0\n', embedded: true }),
    'search a.example b.example\nnameserver 127.0.0.11\nnameserver 2001:db8::1\noptions edns0 ndots:0\n',
  );
  t.is(renderResolvConf({ hostText: host, embedded: true, dnsSearch: ['.'] }), 'nameserver 127.0.0.11\noptions ndots:0\n');
});

test('resolv.conf on the default bridge: the host file verbatim minus loopback servers, or rebuilt with overrides', (t) => {
  t.is(renderResolvConf({ hostText: 'nameserver 10.255.255.53\n' }), 'nameserver 10.255.255.53\n');
  const host = '# from dhcp\nnameserver 127.0.0.53\nnameserver 10.1.1.1\nsearch corp.example\n';
  t.is(renderResolvConf({ hostText: host }), '# from dhcp\nnameserver 10.1.1.1\nsearch corp.example\n');
  t.is(renderResolvConf({ hostText: 'nameserver 127.0.0.53\n' }), '\nnameserver 8.8.8.8\nnameserver 8.8.4.4');
  // the daemon's dns (the guest's 10.0.2.3, the machine file's `dns`) replaces the servers, keeps search
  t.is(renderResolvConf({ hostText: host, dns: ['10.0.2.3'] }), 'search corp.example\nnameserver 10.0.2.3\n');
  // host network: Docker copies the file as it is
  t.is(renderResolvConf({ hostText: host, hostNetwork: true }), host);
});

test('the container netns table DNATs 127.0.0.11:53 (udp and tcp) to the gateway, replaced atomically', (t) => {
  const text = renderContainerDns('10.5.0.1');
  t.true(text.startsWith('table ip tsd-dns\ndelete table ip tsd-dns\ntable ip tsd-dns {\n'));
  t.true(text.includes('type nat hook output priority -100; policy accept;'));
  t.true(text.includes('ip daddr 127.0.0.11 udp dport 53 dnat to 10.5.0.1:53\n'));
  t.true(text.includes('ip daddr 127.0.0.11 tcp dport 53 dnat to 10.5.0.1:53\n'));
  t.is(renderContainerDnsDelete(), 'table ip tsd-dns\ndelete table ip tsd-dns\n');
});

function network(id: string, name: string): NetworkRecord {
  return { Id: id, Name: name } as NetworkRecord;
}

function endpoint(networkId: string, ip: string, dnsNames: string[]): LiveEndpoint {
  return { networkId, endpointId: `e-${ip}`, ifname: 'eth0', hostVeth: 'v', ip, prefix: 24, gateway: ip.replace(/\d+$/, '1'), mac: '', dnsNames };
}

function container(name: string, endpoints: LiveEndpoint[], extra: Partial<ContainerRecord['spec']> = {}): ContainerRecord {
  return {
    id: `${name}-id`,
    spec: { name, networkMode: endpoints[0]!.networkId, ...extra },
    networks: Object.fromEntries(endpoints.map((e) => [e.networkId, {}])),
    endpoints: Object.fromEntries(endpoints.map((e) => [e.networkId, e])),
    ports: [],
  };
}

test('names resolve for the asker on every network it shares, in its endpoint order; name.network on that one', (t) => {
  const networks = [network('na', 'front'), network('nb', 'back'), network('nc', 'my.dotted'), network('nd', 'bridge')];
  const records = [
    container('proxy', [endpoint('na', '10.1.0.2', ['proxy']), endpoint('nb', '10.2.0.2', ['proxy']), endpoint('nd', '172.17.0.2', ['proxy'])]),
    container('web', [endpoint('na', '10.1.0.3', ['web', 'www'])]),
    container('db', [endpoint('nb', '10.2.0.3', ['db', 'shared'])]),
    container('other', [endpoint('na', '10.1.0.4', ['shared'])]),
    container('dot', [endpoint('nc', '10.3.0.2', ['dot'])]),
    container('plain', [endpoint('nd', '172.17.0.3', ['plain'])]),
  ];
  const names = new NameDirectory(
    {
      network: (id) => networks.find((n) => n.Id === id),
      endpointsOn: (id) => records.flatMap((record) => (record.endpoints[id] ? [{ record, endpoint: record.endpoints[id]! }] : [])),
    },
    () => [{ host: '10.255.255.53', port: 53 }],
  );
  // proxy (on front and back) asks through front's server: sees both networks
  t.deepEqual(names.lookup('na', '10.1.0.2', 'www'), ['10.1.0.3']);
  t.deepEqual(names.lookup('na', '10.1.0.2', 'db'), ['10.2.0.3']);
  t.deepEqual(names.lookup('na', '10.1.0.2', 'shared'), ['10.1.0.4'], 'the first network with a match wins');
  t.deepEqual(names.lookup('na', '10.1.0.2', 'shared.back'), ['10.2.0.3']);
  t.is(names.lookup('na', '10.1.0.2', 'web.back'), undefined);
  t.is(names.lookup('na', '10.1.0.2', 'plain'), undefined, 'the default bridge has no service discovery');
  // web (front only) does not see back
  t.is(names.lookup('na', '10.1.0.3', 'db'), undefined);
  t.deepEqual(names.lookup('na', '10.1.0.3', 'proxy'), ['10.1.0.2']);
  // a network name with a dot
  t.deepEqual(names.lookup('nc', '10.3.0.2', 'dot.my.dotted'), ['10.3.0.2']);
  // an address that is no container's: the listener's network only
  t.deepEqual(names.lookup('nb', '10.2.0.1', 'db'), ['10.2.0.3']);
  t.is(names.lookup('nb', '10.2.0.1', 'web'), undefined);
  // reverse: "<name>.<network>" on a network the asker shares
  t.is(names.reverse('na', '10.1.0.2', '10.2.0.3'), 'db.back');
  t.is(names.reverse('na', '10.1.0.3', '10.2.0.3'), undefined);
});

test('upstreams: the asker\'s own --dns servers (IPv4), else the engine\'s; ndots > 0 keeps single labels local', (t) => {
  const net = network('na', 'front');
  const records = [
    container('own', [endpoint('na', '10.1.0.2', ['own'])], { dns: ['10.8.8.8', '2001:db8::1'], dnsOptions: ['ndots:2'] }),
    container('plain', [endpoint('na', '10.1.0.3', ['plain'])], { dnsOptions: ['ndots:0'] }),
  ];
  const names = new NameDirectory(
    { network: () => net, endpointsOn: () => records.map((record) => ({ record, endpoint: record.endpoints['na']! })) },
    () => [{ host: '10.255.255.53', port: 53 }],
  );
  t.deepEqual(names.upstreams('na', '10.1.0.2'), [{ host: '10.8.8.8', port: 53 }]);
  t.deepEqual(names.upstreams('na', '10.1.0.3'), [{ host: '10.255.255.53', port: 53 }]);
  t.deepEqual(names.upstreams('na', '10.1.0.99'), [{ host: '10.255.255.53', port: 53 }]);
  t.true(names.keepsSingleLabels('na', '10.1.0.2'));
  t.false(names.keepsSingleLabels('na', '10.1.0.3'));
});
