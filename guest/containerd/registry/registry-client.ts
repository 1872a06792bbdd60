/**
 * The registry client: distribution v2 requests against one repository on one endpoint, with
 * authentication, plus resolution of a reference across mirrors and origin. Manifests, blobs,
 * pull and push build on `send` (manifests.ts, blobs.ts, pull.ts, push.ts).
 */
import type { IncomingMessage } from 'node:http';
import { TsdError, asTsdError } from '../../api/errors.js';
import type { ImageReference } from '../../api/oci-image-spec.js';
import { RegistryAuth } from './auth.js';
import { endpointsFor } from './endpoints.js';
import { HttpTransport, type HttpRequest } from './http-transport.js';
import type { Endpoint, RegistryClientOptions } from './types.js';

/** One repository on one endpoint: the unit every v2 request addresses. */
export interface Repository {
  endpoint: Endpoint;
  /** `library/busybox` */
  path: string;
}

export type Action = 'pull' | 'push';

export interface RepositoryRequest extends Omit<HttpRequest, 'url'> {
  /** Path under /v2/<repository>/, e.g. `manifests/latest`; or an absolute URL (upload locations). */
  target: string;
  /** Actions on this repository the request needs; extra scopes (mount sources) may be added. */
  actions: Action[];
  extraScopes?: string[];
}

export class RegistryClient {
  readonly options: RegistryClientOptions;
  readonly #transport: HttpTransport;
  readonly #auth: RegistryAuth;
  /** Endpoint host → the registry domain it serves, for credential lookups. */
  readonly #registryOf = new Map<string, string>();

  constructor(options: RegistryClientOptions = {}) {
    this.options = options;
    this.#transport = new HttpTransport({
      attempts: options.retry?.attempts,
      baseDelayMs: options.retry?.baseDelayMs,
      userAgent: options.userAgent,
    });
    const credentials = options.credentials;
    this.#auth = new RegistryAuth(this.#transport, (host) => credentials?.(host, this.#registryOf.get(host) ?? host));
  }

  /** The endpoints for a reference's registry, mirrors first. */
  endpoints(reference: ImageReference): Endpoint[] {
    return endpointsFor(reference.domain, this.options);
  }

  /**
   * Sends a request to a repository, answering one 401 with the challenge's credentials.
   * Returns the response whatever its status; callers turn failures into errors.
   */
  async send(repository: Repository, request: RepositoryRequest): Promise<IncomingMessage> {
    const scopes = [`repository:${repository.path}:${request.actions.join(',')}`, ...(request.extraScopes ?? [])];
    const url = /^https?:\/\//.test(request.target)
      ? request.target
      : `${repository.endpoint.baseUrl}/v2/${repository.path}/${request.target}`;
    const host = repository.endpoint.host;
    this.#registryOf.set(host, repository.endpoint.registry);
    const withAuth = (authorization: string | undefined): HttpRequest => ({
      method: request.method,
      url,
      headers: authorization ? { ...request.headers, authorization } : request.headers,
      body: request.body,
    });
    const response = await this.#transport.send(withAuth(this.#auth.cachedHeader(host, scopes)));
    if (response.statusCode !== 401) return response;
    response.resume();
    const authorization = await this.#auth.authorize(host, response.headers, scopes);
    return await this.#transport.send(withAuth(authorization));
  }

  /**
   * Runs `attempt` against each endpoint of the reference's registry in order (mirrors, then
   * origin) and returns the first success. Every failure moves on; when all fail, the error
   * names each endpoint and why (a not-found everywhere stays 'not-found').
   */
  async onFirstEndpoint<T>(reference: ImageReference, attempt: (repository: Repository) => Promise<T>): Promise<T> {
    const failures: Array<{ endpoint: Endpoint; error: TsdError }> = [];
    for (const endpoint of this.endpoints(reference)) {
      try {
        return await attempt({ endpoint, path: reference.path });
      } catch (error) {
        failures.push({ endpoint, error: asTsdError(error) });
      }
    }
    const [first] = failures;
    if (failures.length === 1 && first) throw first.error;
    const code = failures.every((f) => f.error.code === 'not-found') ? 'not-found' : (failures.at(-1)?.error.code ?? 'unavailable');
    const detail = failures.map((f) => `${f.endpoint.mirror ? 'mirror ' : ''}${f.endpoint.baseUrl}: ${f.error.message}`).join('; ');
    throw new TsdError(code, `every endpoint failed for ${reference.domain}/${reference.path}: ${detail}`, { cause: first?.error });
  }

  close(): void {
    this.#transport.close();
  }
}
