/**
 * A small typed client of the Docker Engine API over a unix socket (node:http with socketPath).
 * `connect` pings the daemon and negotiates the API version; requests go to /v<version>/….
 * Failures are EngineErrors (a TsdError with the HTTP status); an unreachable socket is
 * `unavailable`. Hijacked streams (attach, exec start) come back as the raw socket.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { TsdError } from '../../guest/api/errors.js';
import { CLIENT_MIN_API_VERSION, compareApiVersions, negotiateApiVersion } from './api-version.js';
import { engineError } from './engine-errors.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  headers?: OutgoingHttpHeaders;
}

export class EngineClient {
  private constructor(readonly socketPath: string, readonly apiVersion: string) {}

  /** Pings the engine and settles on an API version both sides speak. */
  static async connect(socketPath: string): Promise<EngineClient> {
    const probe = new EngineClient(socketPath, '');
    const response = await probe.send('GET', '/_ping', {});
    const body = await readBody(response);
    if ((response.statusCode ?? 500) >= 400) throw engineError(response.statusCode ?? 500, body);
    const daemon = header(response, 'api-version');
    if (daemon !== undefined && compareApiVersions(daemon, CLIENT_MIN_API_VERSION) < 0) {
      throw new TsdError('unsupported', `the engine at ${socketPath} speaks API ${daemon}; tsd needs ${CLIENT_MIN_API_VERSION} or later`);
    }
    return new EngineClient(socketPath, negotiateApiVersion(daemon));
  }

  /** A request whose answer is JSON (or empty: resolves undefined). */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    const body = await readBody(response);
    const status = response.statusCode ?? 500;
    if (status >= 400) throw engineError(status, body);
    return (body === '' ? undefined : JSON.parse(body)) as T;
  }

  /** A request whose answer is a stream (logs, pull progress, wait); the status is checked first. */
  async stream(method: string, path: string, options: RequestOptions = {}): Promise<IncomingMessage> {
    const response = await this.send(method, path, options);
    const status = response.statusCode ?? 500;
    if (status >= 400) throw engineError(status, await readBody(response));
    return response;
  }

  /**
   * A hijacked connection (attach, exec start): the request asks for an upgrade to a raw TCP
   * stream and the socket is returned, with any bytes that came with the upgrade put back.
   */
  hijack(method: string, path: string, options: RequestOptions = {}): Promise<Socket> {
    const headers = { ...options.headers, Connection: 'Upgrade', Upgrade: 'tcp' };
    return new Promise((resolve, reject) => {
      const req = this.start(method, path, { ...options, headers });
      req.on('upgrade', (_response, socket: Socket, head: Buffer) => {
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (response: IncomingMessage) => {
        // An engine that refuses (404, 409 …) answers normally instead of upgrading.
        void readBody(response).then((body) => reject(engineError(response.statusCode ?? 500, body)));
      });
      req.on('error', (error) => reject(this.unreachable(error)));
      req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
    });
  }

  private send(method: string, path: string, options: RequestOptions): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.start(method, path, options);
      req.on('response', resolve);
      req.on('error', (error) => reject(this.unreachable(error)));
      req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
    });
  }

  private start(method: string, path: string, options: RequestOptions) {
    const prefix = path === '/_ping' || this.apiVersion === '' ? '' : `/v${this.apiVersion}`;
    const headers: OutgoingHttpHeaders = { Host: 'docker', ...options.headers };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    return httpRequest({ socketPath: this.socketPath, method, path: `${prefix}${path}${queryString(options.query)}`, headers });
  }

  private unreachable(error: NodeJS.ErrnoException): TsdError {
    const missing = error.code === 'ENOENT' || error.code === 'ECONNREFUSED';
    return new TsdError(
      'unavailable',
      missing ? `cannot reach the engine at ${this.socketPath}: nothing listens there (is the machine running?)` : `engine at ${this.socketPath}: ${error.message}`,
      { cause: error },
    );
  }
}

export function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    params.set(key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}

function header(response: IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
