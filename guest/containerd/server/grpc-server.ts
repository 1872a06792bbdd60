/**
 * The gRPC server on a unix socket: HTTP/2 with prior knowledge (node:http2), gRPC's framing and
 * status trailers (grpc-wire.ts, grpc-call.ts), methods routed by their path
 * ("/containerd.services.version.v1.Version/Version"). Not grpc-js: its server and channel
 * machinery (~65 modules loaded at start) cost the daemon ~1.6 MiB of its idle memory, for the
 * little that a unix-socket server without TLS, compression or deadlines needs.
 * Message limits match containerd's (16 MiB each way), so clients that send content in large
 * chunks work unchanged.
 */
import { createServer, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { rm } from 'node:fs/promises';
import { TsdError } from '../../api/errors.js';
import { loadApi, type ServiceName } from '../api/load-api.js';
import { GrpcCall, type CallCodec } from './grpc-call.js';
import { GrpcCode } from './grpc-codes.js';
import { toServiceError } from './grpc-status.js';
import type { MethodHandler, ServiceHandlers } from './handlers.js';

const MAX_MESSAGE = 16 * 1024 * 1024;
/** How long stop() lets open calls (event subscriptions) finish before closing their connections. */
const STOP_GRACE_MS = 2000;

export interface RunningServer {
  address: string;
  stop(): Promise<void>;
}

interface Route {
  codec: CallCodec;
  handler: MethodHandler;
}

export async function startGrpcServer(address: string, services: Partial<Record<ServiceName, ServiceHandlers>>): Promise<RunningServer> {
  const routes = routeTable(services);
  const sessions = new Set<Http2Session>();
  // maxSessionMemory: Node's per-connection cap resets busy connections (a content write in flight); grpc-js lifts it the same way.
  const server = createServer({ maxSessionMemory: Number.MAX_SAFE_INTEGER, maxSendHeaderBlockLength: 1 << 20 });
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => {});
  });
  server.on('stream', (stream, headers) => serve(routes, stream, headers));
  // A socket left by a killed daemon would make listen fail with EADDRINUSE.
  await rm(address, { force: true });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => reject(new TsdError('unavailable', `cannot listen on ${address}: ${error.message}`, { cause: error }));
    server.once('error', failed);
    server.listen(address, () => {
      server.off('error', failed);
      resolve();
    });
  });
  // Later server errors (accept failing for lack of file descriptors, say) are reported, not fatal.
  server.on('error', (error) => process.stderr.write(`tsd-containerd: gRPC server: ${error.message}\n`));
  return {
    address,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.close();
      const timer = setTimeout(() => {
        for (const session of sessions) session.destroy();
      }, STOP_GRACE_MS);
      await closed;
      clearTimeout(timer);
      await rm(address, { force: true });
    },
  };
}

/** Every method of every served service, by path; a handler is keyed by the method's name or its camelCase. */
function routeTable(services: Partial<Record<ServiceName, ServiceHandlers>>): Map<string, Route> {
  const api = loadApi();
  const routes = new Map<string, Route>();
  for (const [name, handlers] of Object.entries(services) as Array<[ServiceName, ServiceHandlers]>) {
    for (const [method, definition] of Object.entries(api.service(name))) {
      const handler = handlers[method] ?? (definition.originalName ? handlers[definition.originalName] : undefined);
      if (!handler) continue;
      const codec: CallCodec = { decode: definition.requestDeserialize, encode: definition.responseSerialize };
      routes.set(definition.path, { codec, handler });
    }
  }
  return routes;
}

const NO_CODEC: CallCodec = {
  decode: () => ({}),
  encode: () => Buffer.alloc(0),
};

function serve(routes: Map<string, Route>, stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  // A client's reset arrives as an 'error' on its stream: the call ends, the daemon does not.
  stream.on('error', () => {});
  const contentType = headers['content-type'] ?? '';
  if (headers[':method'] !== 'POST' || !contentType.startsWith('application/grpc')) {
    stream.respond({ ':status': 415 }, { endStream: true });
    return;
  }
  const path = headers[':path'] ?? '';
  const route = routes.get(path);
  const call = new GrpcCall(stream, headers, route?.codec ?? NO_CODEC, MAX_MESSAGE);
  if (!route) {
    call.finish({ code: GrpcCode.UNIMPLEMENTED, details: `unknown method ${path}` });
    return;
  }
  Promise.resolve()
    .then(() => route.handler(call))
    .then(
      () => call.finish({ code: GrpcCode.OK, details: '' }),
      (error: unknown) => call.finish(toServiceError(error)),
    );
}
