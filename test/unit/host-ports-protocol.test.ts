// The host-ports wire pieces shared by guest and host: datagram framing, lines, relay names.
import test from 'ava';
import { DatagramReader, LineReader, describeBinding, frameDatagram, parseUdpRelaySubsystem, udpRelaySubsystem } from '../../guest/api/host-ports.js';

test('datagrams survive any chunking, empty ones included', (t) => {
  const stream = Buffer.concat([frameDatagram(Buffer.from('one')), frameDatagram(Buffer.alloc(0)), frameDatagram(Buffer.alloc(65_507, 7))]);
  const reader = new DatagramReader();
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 1000) out.push(...reader.push(stream.subarray(i, i + 1000)));
  t.deepEqual(out.map((datagram) => datagram.length), [3, 0, 65_507]);
  t.is(out[0]!.toString(), 'one');
});

test('lines and relay subsystem names', (t) => {
  const lines = new LineReader();
  t.deepEqual(lines.push('{"a":1}\n{"b"'), ['{"a":1}']);
  t.deepEqual(lines.push(':2}\n\n'), ['{"b":2}']);
  t.deepEqual(parseUdpRelaySubsystem(udpRelaySubsystem('::1', 53)), { address: '::1', port: 53 });
  t.is(parseUdpRelaySubsystem('udp-relay@tsd:127.0.0.1:0'), undefined);
  t.is(parseUdpRelaySubsystem('sftp'), undefined);
  t.is(describeBinding({ proto: 'udp', hostIp: '', hostPort: 53 }), '0.0.0.0:53/udp');
  t.is(describeBinding({ proto: 'tcp', hostIp: '::1', hostPort: 80 }), '[::1]:80/tcp');
});
