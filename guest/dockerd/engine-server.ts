/**
 * The Engine API HTTP server on unix sockets: version prefix → route → handler, with Docker's
 * common response headers and the error table for failures. It builds the EngineContext (the
 * containerd client, event log, image service) and hands it to every route module.
 *
 * Upgrade requests (attach, exec start) come through Node's 'upgrade' event; they are routed the
 * same way with `req.upgrade` set, so a handler can answer errors normally or hijack (http/hijack.ts).
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { asTsdError, TsdError } from '../api/errors.js';
import { GUEST_TSD_DIR } from '../api/guest-layout.js';
import { MAX_API_VERSION, negotiateApiVersion, splitVersionPrefix } from './api-version.js';
import { socketPathOf, type EngineConfig } from './config/engine-config.js';
import { ContainerdClient } from './containerd/containerd-client.js';
import type { EngineContext } from './engine-context.js';
import { loadEngineId } from './engine-id.js';
import { createEngineLog, type EngineLog } from './engine-log.js';
import { configFromOptions, TSD_VERSION, type EngineOptions } from './engine-options.js';
import { sendError, sendJson } from './error-table.js';
import { addEventRoutes } from './events/events-routes.js';
import { EventLog } from './events/event-log.js';
import { addAuthRoutes } from './handlers/auth.js';
import { addBuildCacheRoutes } from './handlers/build-cache.js';
import { addDiskUsageRoutes } from './handlers/system-df.js';
import { addSystemRoutes } from './handlers/system.js';
import { addImageRoutes } from './images/image-routes.js';
import { addNetworkRoutes, usePublishHook } from './network/engine-wiring.js';
import { hostPortsPublishHook } from '../lib/host-ports-client.js';
import { addVolumeRoutes } from './volumes/volume-routes.js';
import { addContainerRoutes } from './containers/index.js';
import { ImageService } from './images/image-service.js';
import { RegistryAccess } from './images/registry-access.js';
import { Router, type HttpMethod } from './router.js';

/** Request headers larger than this are refused with 431 (Node's default is 16 KiB; dockerd's is 1 MiB). */
const MAX_HEADER_SIZE = 1024 * 1024;

export interface RunningEngine {
  server: Server;
  context: EngineContext;
  close(): Promise<void>;
}

export async function startEngineServer(options: EngineConfig | EngineOptions): Promise<RunningEngine> {
  const config = 'socketPath' in options ? configFromOptions(options) : options;
  const closeHooks: Array<() => Promise<void> | void> = [];
  let listened!: () => void;
  const listening = new Promise<void>((resolve) => (listened = resolve));
  const containerd = new ContainerdClient(config.containerdAddress, { namespace: config.containerdNamespace });
  const log = createEngineLog(() => config.logLevel);
  const context: EngineContext = {
    config,
    engineId: await loadEngineId(config.dataRoot),
    startedAt: new Date(),
    containerd,
    events: new EventLog(),
    log,
    registry: new RegistryAccess(config),
    images: new ImageService(containerd),
    onClose: (hook) => void closeHooks.push(hook),
    listening,
  };
  closeHooks.push(() => containerd.close());
  await mkdir(config.execRoot, { recursive: true });

  const router = new Router();
  addSystemRoutes(router, context);
  addEventRoutes(router, context);
  addDiskUsageRoutes(router, context);
  addAuthRoutes(router, context);
  addBuildCacheRoutes(router, context);
  addImageRoutes(router, context);
  addVolumeRoutes(router, context);
  addNetworkRoutes(router, context);
  // In a machine's guest (the image's /opt/tsd) a published port is also opened on the user's host,
  // through the host agent (src/host-ports). Host mode (`npm run engine`) has no agent: local only.
  if (existsSync(GUEST_TSD_DIR)) usePublishHook(context, hostPortsPublishHook());
  await addContainerRoutes(router, context);
  // H4: addContainerRoutes(router, context);  H5: addNetworkRoutes / addVolumeRoutes — one line each here.

  const sockets = config.hosts.map(socketPathOf);
  const servers: Server[] = [];
  for (const socketPath of sockets) {
    await mkdir(dirname(socketPath), { recursive: true });
    // A stale socket from a previous run (kill -9) would make listen fail with EADDRINUSE.
    await rm(socketPath, { force: true });
    const server = makeServer(router, log);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await chmod(socketPath, 0o660);
    servers.push(server);
  }
  // A timer, not a microtask: the callers' own start-up steps (main.ts's ready line) come first.
  setImmediate(listened);
  return {
    server: servers[0]!,
    context,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      })));
      for (const hook of closeHooks.reverse()) await Promise.resolve(hook()).catch(() => undefined);
    },
  };
}

/** The HTTP server for one socket: requests and upgrades dispatched through `router` (exported for tests of hijacking). */
export function makeServer(router: Router, log?: EngineLog): Server {
  const server = createServer({ maxHeaderSize: MAX_HEADER_SIZE }, (req, res) => {
    void dispatch(router, req, res, undefined, log);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const res = new ServerResponse(req);
    res.assignSocket(socket as never);
    socket.on('error', () => undefined);
    void dispatch(router, req, res, { socket, head }, log);
  });
  // A client that vanishes or sends garbage gets a plain 400 and never takes the server down.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({ message: error.message })}\n`);
  });
  return server;
}

async function dispatch(
  router: Router, req: IncomingMessage, res: ServerResponse, upgrade?: { socket: Duplex; head: Buffer }, log?: EngineLog,
): Promise<void> {
  if (log?.enabled('debug')) {
    const started = Date.now();
    res.once('finish', () => log.debug(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started} ms`));
  }
  // Docker sets these on every response; clients read API-Version to negotiate.
  res.setHeader('Server', `tsd/${TSD_VERSION} (linux)`);
  res.setHeader('API-Version', MAX_API_VERSION);
  res.setHeader('OSType', 'linux');
  res.setHeader('Docker-Experimental', 'false');
  try {
    const url = new URL(req.url ?? '/', 'http://engine');
    const { version, rest } = splitVersionPrefix(url.pathname);
    const match = router.match(req.method ?? 'GET', rest);
    if (!match) {
      sendJson(res, 404, { message: 'page not found' });
      return;
    }
    const apiVersion = negotiateApiVersion(version);
    await match.route.handler(
      { method: req.method as HttpMethod, path: rest, params: match.params, query: url.searchParams, apiVersion, raw: req, upgrade },
      res,
    );
  } catch (error) {
    if (res.headersSent || !res.socket) {
      res.destroy(error instanceof Error ? error : new TsdError('internal', String(error)));
      return;
    }
    if (asTsdError(error).code === 'internal') log?.error(`${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
    sendError(res, error);
  }
}
