/** gRPC's message framing and status-message encoding (guest/containerd/server/grpc-wire.ts). */
import test from 'ava';
import { GrpcCode } from '../../guest/containerd/server/grpc-codes.js';
import { encodeStatusMessage, frameMessage, MessageReader } from '../../guest/containerd/server/grpc-wire.js';

test('messages come out whole however the stream is cut', (t) => {
  const messages = [Buffer.from('hello'), Buffer.alloc(0), Buffer.alloc(70_000, 7)];
  const wire = Buffer.concat(messages.map(frameMessage));
  t.deepEqual([...wire.subarray(0, 5)], [0, 0, 0, 0, 5]);
  for (const step of [1, 3, 5, 6, 4096, wire.length]) {
    const reader = new MessageReader(1 << 20);
    const got: Buffer[] = [];
    for (let at = 0; at < wire.length; at += step) got.push(...reader.push(wire.subarray(at, at + step)));
    t.deepEqual(got, messages, `chunks of ${step}`);
    t.true(reader.empty);
  }
  const partial = new MessageReader(1 << 20);
  t.deepEqual(partial.push(wire.subarray(0, 7)), []);
  t.false(partial.empty);
});

test('an oversized or compressed message is refused with the status gRPC uses', (t) => {
  const oversized = t.throws(() => new MessageReader(4).push(frameMessage(Buffer.from('hello'))), { message: /larger than max \(5 vs\. 4\)/ });
  t.is((oversized as { grpcCode?: number } | undefined)?.grpcCode, GrpcCode.RESOURCE_EXHAUSTED);
  const compressed = frameMessage(Buffer.from('x'));
  compressed[0] = 1;
  t.throws(() => new MessageReader(16).push(compressed), { message: /compressed/ });
});

test('status messages are percent-encoded outside printable ASCII', (t) => {
  t.is(encodeStatusMessage('image "x": not found'), 'image "x": not found');
  t.is(encodeStatusMessage('100% done\nnext'), '100%25 done%0Anext');
  t.is(encodeStatusMessage('café'), 'caf%C3%A9');
});
