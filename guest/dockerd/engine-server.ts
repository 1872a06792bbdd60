/**
 * The Engine API HTTP server on a unix socket: version prefix → route → handler, with Docker's
 * common response headers and the error table for failures.
 */
import { chmod, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { TsdError } from '../api/errors.js';
import { MAX_API_VERSION, negotiateApiVersion, splitVersionPrefix } from './api-version.js';
import { loadEngineId } from './engine-id.js';
import { TSD_VERSION, type EngineOptions } from './engine-options.js';
import { sendError, sendJson } from './error-table.js';
import { addSystemRoutes } from './handlers/system.js';
import { Router, type HttpMethod } from './router.js';

export interface RunningEngine {
  server: Server;
  close(): Promise<void>;
}

export async function startEngineServer(options: EngineOptions): Promise<RunningEngine> {
  const router = new Router();
  addSystemRoutes(router, { options, engineId: await loadEngineId(options.dataRoot), startedAt: new Date() });

  const server = createServer((req, res) => {
    void dispatch(router, req, res);
  });
  // A stale socket from a previous run (kill -9) would make listen fail with EADDRINUSE.
  await rm(options.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(options.socketPath, 0o660);
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function dispatch(router: Router, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Docker sets these on every response; clients read API-Version to negotiate.
  res.setHeader('Server', `tsd/${TSD_VERSION} (linux)`);
  res.setHeader('API-Version', MAX_API_VERSION);
  res.setHeader('OSType', 'linux');
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
      { method: req.method as HttpMethod, path: rest, params: match.params, query: url.searchParams, apiVersion, raw: req },
      res,
    );
  } catch (error) {
    if (res.headersSent) {
      res.destroy(error instanceof Error ? error : new TsdError('internal', String(error)));
      return;
    }
    sendError(res, error);
  }
}
