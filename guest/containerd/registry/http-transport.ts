/**
 * HTTP(S) requests for the registry client: keep-alive agents, bounded retries with exponential
 * backoff on network errors, 429 and 5xx, and redirects (blob GETs may redirect to storage).
 * Authentication is the caller's business (auth.ts); a redirect to another host drops it.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { TsdError } from '../../api/errors.js';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  headers?: OutgoingHttpHeaders;
  /** A Buffer, or a factory for a fresh stream per attempt (a one-shot stream cannot be retried). */
  body?: Buffer | (() => Readable);
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const MAX_REDIRECTS = 5;
const SOCKET_TIMEOUT_MS = 60_000;

export class HttpTransport {
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #userAgent: string;
  readonly #httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  readonly #httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16 });

  constructor(options: { attempts?: number; baseDelayMs?: number; userAgent?: string } = {}) {
    this.#attempts = Math.max(1, options.attempts ?? 4);
    this.#baseDelayMs = options.baseDelayMs ?? 200;
    this.#userAgent = options.userAgent ?? 'tsd-registry-client/0.1';
  }

  /**
   * Sends a request and returns the response (any status) once its headers arrived. Retries
   * network errors and retryable statuses up to the attempt bound; the last response or error wins.
   */
  async send(request: HttpRequest): Promise<IncomingMessage> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.#attempts; attempt++) {
      if (attempt > 0) await sleep(this.#baseDelayMs * 2 ** (attempt - 1));
      try {
        const response = await this.#sendFollowingRedirects(request);
        if (RETRY_STATUSES.has(response.statusCode ?? 0) && attempt + 1 < this.#attempts) {
          response.resume();
          lastError = new TsdError('unavailable', `${request.method} ${request.url}: HTTP ${response.statusCode}`);
          continue;
        }
        return response;
      } catch (error) {
        lastError = error;
      }
    }
    const message = lastError instanceof Error ? lastError.message : String(lastError);
    throw new TsdError('unavailable', `${request.method} ${request.url} failed after retries: ${message}`, { cause: lastError });
  }

  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }

  async #sendFollowingRedirects(request: HttpRequest): Promise<IncomingMessage> {
    let current = request;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const response = await this.#sendOnce(current);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (![301, 302, 303, 307, 308].includes(status) || !location || (current.method !== 'GET' && current.method !== 'HEAD')) {
        return response;
      }
      response.resume();
      const next = new URL(location, current.url);
      const headers = { ...current.headers };
      // Credentials are for the registry, not for the storage a blob redirects to.
      if (next.host !== new URL(current.url).host) delete headers.authorization;
      current = { ...current, url: next.toString(), headers };
    }
    throw new TsdError('unavailable', `${request.method} ${request.url}: more than ${MAX_REDIRECTS} redirects`);
  }

  #sendOnce(request: HttpRequest): Promise<IncomingMessage> {
    const url = new URL(request.url);
    const secure = url.protocol === 'https:';
    const send = secure ? https.request : http.request;
    const headers: OutgoingHttpHeaders = { 'user-agent': this.#userAgent, ...request.headers };
    if (Buffer.isBuffer(request.body)) headers['content-length'] = request.body.length;
    return new Promise((resolve, reject) => {
      const req = send(url, { method: request.method, headers, agent: secure ? this.#httpsAgent : this.#httpAgent }, resolve);
      req.on('error', reject);
      req.setTimeout(SOCKET_TIMEOUT_MS, () => req.destroy(new Error(`no data for ${SOCKET_TIMEOUT_MS / 1000} s`)));
      const body = request.body;
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        const stream = body();
        stream.on('error', (error) => req.destroy(error));
        stream.pipe(req);
      }
    });
  }
}
