import test from 'ava';
import { shimProtos } from '../../guest/shim/shim-protos.js';
import { connectRequest } from '../../guest/shim/start-verb.js';

test('the start verb\'s hand-encoded ConnectRequest is what protobufjs encodes from shim.proto', (t) => {
  const type = shimProtos().lookupType('containerd.task.v2.ConnectRequest');
  for (const id of ['a', 'x'.repeat(64), 'é'.repeat(70), 'y'.repeat(300), 'z'.repeat(20_000)]) {
    t.deepEqual(connectRequest(id), Buffer.from(type.encode(type.fromObject({ id })).finish()), `id of ${id.length} chars`);
  }
});
