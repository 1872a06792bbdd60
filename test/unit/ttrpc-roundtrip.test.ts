import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { TsdError } from '../../guest/api/errors.js';
import { encodeFrame, FrameDecoder, MessageType } from '../../guest/ttrpc/frame.js';
import { encodeRequest } from '../../guest/ttrpc/wire-messages.js';
import {
  GrpcCode, namespaceOf, ServiceClient, serviceHandlers, TtrpcClient, TtrpcError, TtrpcServer,
} from '../../guest/ttrpc/index.js';

const root = protobuf.parse(`
syntax = "proto3";
package demo.v1;
message EchoRequest { string text = 1; int64 count = 2; bytes blob = 3; }
message EchoResponse { string text = 1; int64 count = 2; string namespace = 3; }
service Echo {
  rpc Say(EchoRequest) returns (EchoResponse);
  rpc Fail(EchoRequest) returns (EchoResponse);
  rpc Slow(EchoRequest) returns (EchoResponse);
  rpc Missing(EchoRequest) returns (EchoResponse);
}
`, { keepCase: false }).root;

async function start(t: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-ttrpc-'));
  const path = join(dir, 's.sock');
  const server = new TtrpcServer();
  server.register('demo.v1.Echo', serviceHandlers(root, 'demo.v1.Echo', {
    async Say(request: { text: string; count: number; blob: Buffer }, context) {
      return { text: `${request.text}:${request.blob.length}`, count: request.count * 2, namespace: namespaceOf(context) ?? '' };
    },
    async Fail(request: { text: string }) {
      throw new TsdError('not-found', `no such thing ${request.text}`);
    },
    Slow: (_request, context) => new Promise((resolve) => context.signal.addEventListener('abort', () => resolve({}))),
  }));
  await server.listen(path);
  const client = await TtrpcClient.connect(`unix://${path}`);
  t.teardown(() => {
    client.close();
    void server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { path, server, client, echo: new ServiceClient(client, root, 'demo.v1.Echo') };
}

test('typed round trip with metadata and int64, several calls in flight', async (t) => {
  const { echo } = await start(t);
  const metadata = [{ key: 'containerd-namespace-ttrpc', value: 'ns1' }];
  const results = await Promise.all(
    [1, 2, 3].map((n) => echo.call('Say', { text: `hi${n}`, count: 2 ** 40 + n, blob: Buffer.alloc(n) }, { metadata })),
  );
  t.deepEqual(results, [1, 2, 3].map((n) => ({ text: `hi${n}:${n}`, count: (2 ** 40 + n) * 2, namespace: 'ns1' })));
});

test('a thrown TsdError arrives as its gRPC code and back as a TsdError with the same code', async (t) => {
  const { echo } = await start(t);
  const error = await t.throwsAsync(echo.call('Fail', { text: 'x' }));
  t.true(error instanceof TtrpcError && error instanceof TsdError);
  t.is((error as TtrpcError).grpcCode, GrpcCode.NOT_FOUND);
  t.is((error as TtrpcError).code, 'not-found');
  t.is(error!.message, 'no such thing x');
});

test('unknown services and unregistered methods answer UNIMPLEMENTED', async (t) => {
  const { client, echo } = await start(t);
  const service = await t.throwsAsync(client.call('demo.v1.Nope', 'Say', new Uint8Array()));
  t.is((service as TtrpcError).grpcCode, GrpcCode.UNIMPLEMENTED);
  t.regex(service!.message, /service demo\.v1\.Nope/);
  const method = await t.throwsAsync(echo.call('Missing', {}));
  t.is((method as TtrpcError).grpcCode, GrpcCode.UNIMPLEMENTED);
  t.regex(method!.message, /method Missing/);
});

test('a client deadline reaches the server: the handler is aborted and the answer is DEADLINE_EXCEEDED', async (t) => {
  const { echo } = await start(t);
  const error = await t.throwsAsync(echo.call('Slow', {}, { timeoutMs: 50 }));
  t.is((error as TtrpcError).grpcCode, GrpcCode.DEADLINE_EXCEEDED);
});

test('an oversized request frame gets RESOURCE_EXHAUSTED on its stream and the connection keeps working', async (t) => {
  const { path, client } = await start(t);
  const socket = connect(path);
  await new Promise((resolve) => socket.once('connect', resolve));
  const header = Buffer.alloc(10);
  header.writeUInt32BE((4 << 20) + 1, 0);
  header.writeUInt32BE(1, 4);
  header.writeUInt8(MessageType.Request, 8);
  const decoder = new FrameDecoder();
  const answers: Array<{ streamId: number; data: Buffer }> = [];
  const two = new Promise<void>((resolve) => socket.on('data', (chunk: Buffer) => {
    for (const item of decoder.push(chunk)) if (item.kind === 'frame') answers.push({ streamId: item.frame.streamId, data: item.frame.data });
    if (answers.length === 2) resolve();
  }));
  const next = encodeRequest({ service: 'demo.v1.Nope', method: 'X', payload: new Uint8Array(), timeoutNano: 0, metadata: [] });
  socket.write(Buffer.concat([header, Buffer.alloc((4 << 20) + 1), encodeFrame(3, MessageType.Request, 0, next)]));
  await two;
  socket.destroy();
  t.deepEqual(answers.map((a) => a.streamId), [1, 3], 'both streams answered, in order');
  const data = answers[0]!.data;
  const response = protobuf.parse('syntax="proto3"; message S { int32 code = 1; string message = 2; } message R { S status = 1; bytes payload = 2; }').root.lookupType('R');
  const decoded = response.toObject(response.decode(data)) as { status: { code: number; message: string } };
  t.is(decoded.status.code, GrpcCode.RESOURCE_EXHAUSTED);
  t.regex(decoded.status.message, /exceed maximum message size/);
  // The client refuses to send an oversized request itself.
  const local = await t.throwsAsync(client.call('demo.v1.Echo', 'Say', Buffer.alloc((4 << 20) + 1)));
  t.is((local as TtrpcError).grpcCode, GrpcCode.RESOURCE_EXHAUSTED);
});

test('pending calls fail with UNAVAILABLE when the server goes away; connect to a missing socket is UNAVAILABLE', async (t) => {
  const { client, server, echo, path } = await start(t);
  const pending = echo.call('Slow', {});
  const closed = new Promise<void>((resolve) => client.onClose(resolve));
  await server.close();
  const error = await t.throwsAsync(pending);
  t.is((error as TtrpcError).grpcCode, GrpcCode.UNAVAILABLE);
  await closed;
  t.true(client.closed);
  const refused = await t.throwsAsync(TtrpcClient.connect(path + '.missing'));
  t.is((refused as TtrpcError).code, 'unavailable');
});
