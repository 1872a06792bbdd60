/**
 * tsd-containerd's gRPC server at the HTTP/2 level (guest/containerd/server/grpc-*.ts), with a raw
 * node:http2 client: what ctr and grpc-js never send — unknown methods, non-gRPC requests, oversized
 * messages, a client that resets a call — answered with gRPC's statuses, and the daemon keeps serving.
 */
import test from 'ava';
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { connect as connectSocket } from 'node:net';
import { frameMessage } from '../../guest/containerd/server/grpc-wire.js';
import { ContainerdDaemon } from '../helpers/containerd-daemon.js';

interface Answer {
  status: number | undefined;
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  body: Buffer;
}

function session(address: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const client = connect('http://localhost', { createConnection: () => connectSocket(address) });
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

/** One request: headers, then `body` and the end of the request; resolves with the whole answer. */
function call(client: ClientHttp2Session, path: string, body: Buffer, contentType = 'application/grpc'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = client.request({ ':method': 'POST', ':path': path, 'content-type': contentType, te: 'trailers' });
    const answer: Answer = { status: undefined, headers: {}, trailers: {}, body: Buffer.alloc(0) };
    const chunks: Buffer[] = [];
    stream.on('response', (headers) => {
      answer.headers = headers;
      answer.status = headers[':status'];
    });
    stream.on('trailers', (trailers) => (answer.trailers = trailers));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('close', () => resolve({ ...answer, body: Buffer.concat(chunks) }));
    stream.end(body);
  });
}

const VERSION = '/containerd.services.version.v1.Version/Version';
/** The status of an answer: from the trailers, or from the headers of a trailers-only answer. */
const grpcStatus = (answer: Answer): string | undefined => (answer.trailers['grpc-status'] ?? answer.headers['grpc-status']) as string | undefined;

test('unknown methods, non-gRPC requests, oversized messages and reset calls get answers, and the daemon keeps serving', async (t) => {
  const daemon = await ContainerdDaemon.start();
  const client = await session(daemon.address);
  t.teardown(async () => {
    client.close();
    await daemon.stop();
  });

  const version = await call(client, VERSION, frameMessage(Buffer.alloc(0)));
  t.is(version.status, 200);
  t.is(grpcStatus(version), '0');
  t.true(version.body.length > 5);

  const unknown = await call(client, '/containerd.services.nothing.v1.Nothing/Get', frameMessage(Buffer.alloc(0)));
  t.is(grpcStatus(unknown), '12');
  t.regex(String(unknown.headers['grpc-message']), /unknown method/);

  const notGrpc = await call(client, VERSION, Buffer.from('{}'), 'application/json');
  t.is(notGrpc.status, 415);

  // 16 MiB + 1: containerd's own limit; the prefix alone announces it.
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(16 * 1024 * 1024 + 1, 1);
  const oversized = await call(client, VERSION, prefix);
  t.is(grpcStatus(oversized), '8');

  // A Subscribe call the client resets while it waits for events.
  const subscribe = client.request({ ':method': 'POST', ':path': '/containerd.services.events.v1.Events/Subscribe', 'content-type': 'application/grpc', te: 'trailers' });
  subscribe.on('error', () => {});
  subscribe.end(frameMessage(Buffer.alloc(0)));
  // Answered after the Subscribe on the same connection: by then the server has the call.
  t.is(grpcStatus(await call(client, VERSION, frameMessage(Buffer.alloc(0)))), '0');
  subscribe.close(constants.NGHTTP2_CANCEL);
  await new Promise((resolve) => subscribe.once('close', resolve));

  const again = await call(client, VERSION, frameMessage(Buffer.alloc(0)));
  t.is(grpcStatus(again), '0');
  t.true(daemon.running);
});
