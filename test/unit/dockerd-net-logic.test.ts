import test from 'ava';
import { TsdError } from '../../guest/api/errors.js';
import { renderHosts, renderResolvConf } from '../../guest/dockerd/network/container-files.js';
import { buildAnswer, buildPtrAnswer, buildQuery, readAnswer, readQuestion, reverseAddress, TYPE_AAAA, TYPE_PTR } from '../../guest/dockerd/network/dns/dns-message.js';
import { networkSettings, networksOf, portMapOf, type ContainerRecord } from '../../guest/dockerd/network/endpoint-record.js';
import { checkAddress, checkIpamConfig, pickAddress, pickSubnet } from '../../guest/dockerd/network/ipam/allocator.js';
import { formatCidr, macFor, overlaps, parseCidr, parseIp } from '../../guest/dockerd/network/ipam/ipv4.js';
import type { NetworkRecord } from '../../guest/dockerd/network/network-record.js';
import { renderRuleset } from '../../guest/dockerd/network/nft/ruleset.js';
import { PortAllocator } from '../../guest/dockerd/network/ports/port-allocator.js';
import { parsePortKey, portRequests } from '../../guest/dockerd/network/ports/port-requests.js';

test('IPv4 parsing, CIDRs, overlap and Docker-style MACs', (t) => {
  t.is(formatCidr(parseCidr('10.1.2.3/16')), '10.1.0.0/16');
  t.throws(() => parseCidr('10.1.2.3/16', true), { message: 'invalid subnet 10.1.2.3/16: it should be 10.1.0.0/16' });
  t.throws(() => parseIp('10.1.2'), { instanceOf: TsdError });
  t.throws(() => parseIp('10.1.2.256'), { instanceOf: TsdError });
  t.throws(() => parseCidr('10.0.0.0/33'), { message: 'invalid CIDR address: 10.0.0.0/33' });
  t.true(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.20.0.0/16')));
  t.false(overlaps(parseCidr('10.0.0.0/16'), parseCidr('10.1.0.0/16')));
  t.is(macFor(parseIp('172.17.0.2')), '02:42:ac:11:00:02');
});

test('pickSubnet skips taken ranges and fails with Docker wording when pools are exhausted', (t) => {
  const pools = [{ base: '10.50.0.0/22', size: 24 }];
  t.is(formatCidr(pickSubnet(pools, [])), '10.50.0.0/24');
  t.is(formatCidr(pickSubnet(pools, [parseCidr('10.50.0.0/23')])), '10.50.2.0/24');
  const error = t.throws(() => pickSubnet(pools, [parseCidr('10.50.0.0/22')]), { instanceOf: TsdError });
  t.regex(error?.message ?? '', /could not find an available, non-overlapping IPv4 address pool/);
});

test('checkIpamConfig completes the gateway, checks overlap, gateway and range', (t) => {
  t.deepEqual(checkIpamConfig({ Subnet: '10.60.0.0/24' }, []), { Subnet: '10.60.0.0/24', Gateway: '10.60.0.1' });
  t.deepEqual(checkIpamConfig({ Subnet: '10.60.0.0/24', IPRange: '10.60.0.128/25' }, []), { Subnet: '10.60.0.0/24', Gateway: '10.60.0.1', IPRange: '10.60.0.128/25' });
  t.is(t.throws<TsdError>(() => checkIpamConfig({ Subnet: '10.60.0.0/24' }, [parseCidr('10.60.0.0/16')]))?.code, 'conflict');
  t.throws(() => checkIpamConfig({ Subnet: '10.60.0.0/24', Gateway: '10.61.0.1' }, []), { message: 'no matching subnet for gateway 10.61.0.1' });
  t.throws(() => checkIpamConfig({ Gateway: '10.61.0.1' }, []), { instanceOf: TsdError });
  t.throws(() => checkIpamConfig({ Subnet: '10.60.0.0/24', IPRange: '10.70.0.0/25' }, []), { instanceOf: TsdError });
});

test('pickAddress: lowest free, skipping gateway and used; range respected; exhaustion and fixed-address errors', (t) => {
  const config = { Subnet: '10.60.0.0/29', Gateway: '10.60.0.1' };
  t.is(pickAddress(config, new Set()), '10.60.0.2');
  t.is(pickAddress(config, new Set(['10.60.0.2', '10.60.0.3'])), '10.60.0.4');
  t.is(pickAddress({ ...config, IPRange: '10.60.0.4/30' }, new Set()), '10.60.0.4');
  t.throws(() => pickAddress(config, new Set(['10.60.0.2', '10.60.0.3', '10.60.0.4', '10.60.0.5', '10.60.0.6'])), { instanceOf: TsdError });
  t.is(checkAddress(config, '10.60.0.5', new Set()), '10.60.0.5');
  t.is(t.throws<TsdError>(() => checkAddress(config, '10.60.0.5', new Set(['10.60.0.5'])))?.code, 'conflict');
  t.throws(() => checkAddress(config, '10.61.0.5', new Set()), { instanceOf: TsdError });
});

test('port requests follow Docker: empty host IP is 0.0.0.0, ranges, -P for exposed ports, IPv6 bindings skipped', (t) => {
  t.deepEqual(parsePortKey('80'), { port: 80, proto: 'tcp' });
  t.deepEqual(parsePortKey('53/udp'), { port: 53, proto: 'udp' });
  t.throws(() => parsePortKey('99999/tcp'), { message: 'invalid port specification: "99999/tcp"' });
  const requests = portRequests(
    { '80/tcp': [{ HostIp: '', HostPort: '8080' }, { HostIp: '::', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5300-5310' }] },
    true,
    ['80/tcp', '443/tcp'],
  );
  t.deepEqual(requests, [
    { proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPorts: { from: 8080, to: 8080 } },
    { proto: 'udp', containerPort: 53, hostIp: '127.0.0.1', hostPorts: { from: 5300, to: 5310 } },
    { proto: 'tcp', containerPort: 443, hostIp: '0.0.0.0', hostPorts: undefined },
  ]);
  t.throws(() => portRequests({ '80/tcp': [{ HostPort: '90-80' }] }, false), { message: 'invalid hostPort: 90-80' });
});

test('port allocator: 0.0.0.0 clashes with every address, protocols are separate, Docker message', (t) => {
  const ports = new PortAllocator();
  ports.reserve('tcp', '0.0.0.0', 8080);
  t.false(ports.isFree('tcp', '127.0.0.1', 8080));
  t.true(ports.isFree('udp', '127.0.0.1', 8080));
  t.throws(() => ports.candidates({ proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPorts: { from: 8080, to: 8080 } }), {
    message: 'Bind for 127.0.0.1:8080 failed: port is already allocated',
  });
  t.deepEqual(ports.candidates({ proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPorts: { from: 8080, to: 8082 } }), [8081, 8082]);
  ports.release('tcp', '0.0.0.0', 8080);
  t.true(ports.isFree('tcp', '127.0.0.1', 8080));
});

test('DNS messages: question parsed case-insensitively, answers carry A records, empty answers for AAAA', (t) => {
  const query = buildQuery(0x4242, 'Web.Example');
  const question = readQuestion(query)!;
  t.is(question.name, 'web.example');
  t.is(question.id, 0x4242);
  t.deepEqual(readAnswer(buildAnswer(query, question, ['10.1.2.3', '10.1.2.4'])), { id: 0x4242, rcode: 0, addresses: ['10.1.2.3', '10.1.2.4'] });
  const aaaa = buildQuery(7, 'web', TYPE_AAAA);
  t.deepEqual(readAnswer(buildAnswer(aaaa, readQuestion(aaaa)!, [])), { id: 7, rcode: 0, addresses: [] });
  t.is(readQuestion(Buffer.alloc(5)), undefined);
  t.is(reverseAddress('2.0.18.172.in-addr.arpa'), '172.18.0.2');
  t.is(reverseAddress('example.com'), undefined);
  const ptr = buildQuery(9, '2.0.18.172.in-addr.arpa', TYPE_PTR);
  const answer = buildPtrAnswer(ptr, readQuestion(ptr)!, 'web.front');
  t.is(answer.readUInt16BE(6), 1);
  t.true(answer.subarray(answer.length - 11).equals(Buffer.from('\x03web\x05front\x00', 'latin1')));
  t.is(readQuestion(buildAnswer(query, question, [])), undefined, 'responses are not queries');
});

test('nftables ruleset: masquerade per network, none for internal ones, DNAT per publication', (t) => {
  const text = renderRuleset(
    'abc',
    [
      { bridge: 'br-1', subnet: '10.1.0.0/24', internal: false, masquerade: true },
      { bridge: 'br-2', subnet: '10.2.0.0/24', internal: true, masquerade: true },
    ],
    [{ proto: 'udp', hostIp: '0.0.0.0', hostPort: 5300, containerIp: '10.1.0.2', containerPort: 53, bridge: 'br-1' }],
  );
  t.true(text.startsWith('table ip tsd-abc\ndelete table ip tsd-abc\n'));
  t.true(text.includes('ip saddr 10.1.0.0/24 oifname != "br-1" masquerade'));
  t.false(text.includes('ip saddr 10.2.0.0/24 oifname != "br-2" masquerade'), 'internal: no outbound NAT');
  t.true(text.includes('iifname "br-2" oifname != "br-2" drop'));
  t.true(text.includes('iifname "br-1" oifname { "br-2" } drop'), 'networks are isolated from each other');
  t.true(text.includes('udp dport 5300 dnat to 10.1.0.2:53'));
  t.true(text.includes('oifname "br-1" ip saddr 10.1.0.0/24 ct status dnat masquerade'));
});

test('resolv.conf and hosts: loopback servers dropped, embedded DNS on user networks, overrides, extra hosts', (t) => {
  const host = 'nameserver 127.0.0.53\nnameserver 10.0.2.3\nsearch corp.example\noptions edns0\n';
  t.is(renderResolvConf({ hostText: host }), 'nameserver 10.0.2.3\nsearch corp.example\noptions edns0\n');
  t.true(renderResolvConf({ hostText: 'nameserver 127.0.0.1\n' }).includes('nameserver 8.8.8.8'));
  t.is(renderResolvConf({ hostText: host, embedded: true }), 'search corp.example\nnameserver 127.0.0.11\noptions edns0 ndots:0\n');
  t.is(renderResolvConf({ hostText: host, dns: ['1.1.1.1'], dnsSearch: ['a.b'], dnsOptions: ['ndots:2'] }), 'search a.b\nnameserver 1.1.1.1\noptions ndots:2\n');
  const hosts = renderHosts([{ ip: '10.9.0.2', names: ['abc'] }], ['db:10.0.0.5', 'gw:host-gateway'], '10.9.0.1');
  t.true(hosts.includes('10.0.0.5\tdb\n10.9.0.1\tgw\n10.9.0.2\tabc\n'));
});

test('NetworkSettings: Docker shape with Ports and the default bridge mirrored at the top level', (t) => {
  const bridge = { Id: 'n1', Name: 'bridge' } as NetworkRecord;
  const record: ContainerRecord = {
    id: 'c'.repeat(64),
    spec: { name: 'web', networkMode: 'default', exposedPorts: ['80/tcp', '443/tcp'] },
    networks: { n1: {} },
    netnsPath: '/proc/1/ns/net',
    endpoints: { n1: { networkId: 'n1', endpointId: 'e1', ifname: 'eth0', hostVeth: 'v', ip: '10.1.0.2', prefix: 24, gateway: '10.1.0.1', mac: '02:42:0a:01:00:02', dnsNames: ['web'] } },
    ports: [{ proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, containerIp: '10.1.0.2', containerPort: 80 }],
  };
  const settings = networkSettings(record, (id) => (id === 'n1' ? bridge : undefined));
  t.is(settings.IPAddress, '10.1.0.2');
  t.is(settings.Networks['bridge']?.Gateway, '10.1.0.1');
  t.is(settings.Networks['bridge']?.DNSNames, null, 'no embedded DNS on the default bridge');
  t.deepEqual(settings.Ports, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '443/tcp': null });
  t.deepEqual(portMapOf(record.spec, []), { '80/tcp': null, '443/tcp': null });
  const stopped = networkSettings({ ...record, netnsPath: undefined, endpoints: {}, ports: [] }, () => bridge);
  t.is(stopped.Networks['bridge']?.IPAddress, '');
  t.deepEqual(stopped.Ports, {});
});

test('networksOf: the mode picks the networks, primary first; EndpointsConfig adds more; Docker errors', (t) => {
  const records: Record<string, NetworkRecord> = {
    bridge: { Id: 'b', Name: 'bridge', Driver: 'bridge' } as NetworkRecord,
    host: { Id: 'h', Name: 'host', Driver: 'host' } as NetworkRecord,
    none: { Id: 'n', Name: 'none', Driver: 'null' } as NetworkRecord,
    front: { Id: 'f', Name: 'front', Driver: 'bridge' } as NetworkRecord,
    back: { Id: 'k', Name: 'back', Driver: 'bridge' } as NetworkRecord,
  };
  const find = (name: string): NetworkRecord => {
    const record = records[name];
    if (!record) throw new TsdError('not-found', `network ${name} not found`);
    return record;
  };
  t.deepEqual(networksOf({ name: 'a', networkMode: 'default' }, find), { b: {} });
  t.deepEqual(networksOf({ name: 'a', networkMode: 'host' }, find), { h: {} });
  t.deepEqual(networksOf({ name: 'a', networkMode: 'container:abc' }, find), {});
  t.deepEqual(Object.keys(networksOf({ name: 'a', networkMode: 'back', endpoints: { front: { Aliases: ['x'] }, back: {} } }, find)), ['k', 'f']);
  t.throws(() => networksOf({ name: 'a', networkMode: 'missing' }, find), { message: 'network missing not found' });
  t.throws(() => networksOf({ name: 'a', networkMode: 'bridge', endpoints: { bridge: { IPAMConfig: { IPv4Address: '172.17.0.9' } } } }, find), {
    message: 'user specified IP address is supported on user defined networks only',
  });
  t.throws(() => networksOf({ name: 'a', networkMode: 'front', endpoints: { host: {} } }, find), { instanceOf: TsdError });
});
