/**
 * The route table: method + path pattern ("/containers/{id}/json") → handler. Matching is pure so
 * that unit tests cover it; the HTTP server only asks `match` for each request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiVersion } from './api-version.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

export interface ApiRequest {
  method: HttpMethod;
  /** Path without the /v1.xx prefix. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  apiVersion: ApiVersion;
  raw: IncomingMessage;
  /** Set for `Connection: Upgrade` requests: the socket and bytes read past the headers (see http/hijack.ts). */
  upgrade?: { socket: Duplex; head: Buffer };
}

/** A handler answers on `res` itself, so that streaming and hijacking endpoints fit the same shape. */
export type Handler = (req: ApiRequest, res: ServerResponse) => Promise<void> | void;

export interface Route {
  method: HttpMethod;
  pattern: string;
  handler: Handler;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/**
 * Matches a path against one pattern; `{name}` captures one non-empty segment, `{name*}` (at most
 * one per pattern) one or more segments joined by "/" — image names contain slashes.
 */
export function matchPattern(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const have = path.split('/');
  const greedy = want.findIndex((segment) => segment.startsWith('{') && segment.endsWith('*}'));
  if (greedy === -1) return matchSegments(want, have);
  const after = want.length - greedy - 1;
  const middle = have.length - greedy - after;
  if (middle < 1) return undefined;
  const prefix = matchSegments(want.slice(0, greedy), have.slice(0, greedy));
  const suffix = matchSegments(want.slice(greedy + 1), have.slice(have.length - after));
  const captured = have.slice(greedy, greedy + middle);
  if (!prefix || !suffix || captured.some((segment) => segment === '')) return undefined;
  return { ...prefix, ...suffix, [want[greedy]!.slice(1, -2)]: captured.map(decodeURIComponent).join('/') };
}

function matchSegments(want: string[], have: string[]): Record<string, string> | undefined {
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    const actual = have[i]!;
    if (segment.startsWith('{') && segment.endsWith('}')) {
      if (actual === '') return undefined;
      params[segment.slice(1, -1)] = decodeURIComponent(actual);
    } else if (segment !== actual) {
      return undefined;
    }
  }
  return params;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: HttpMethod, pattern: string, handler: Handler): this {
    this.routes.push({ method, pattern, handler });
    return this;
  }

  match(method: string, path: string): RouteMatch | undefined {
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const params = matchPattern(route.pattern, trimmed);
      if (params) return { route, params };
    }
    return undefined;
  }
}
