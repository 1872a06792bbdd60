/**
 * Registry authentication: anonymous, Basic, and the Bearer token flow.
 *
 * A request goes out with whatever Authorization is cached for its endpoint and scopes. On 401 the
 * WWW-Authenticate challenge tells the scheme: Basic → the endpoint's credentials; Bearer →
 * GET realm?service=…&scope=… (with Basic credentials when the host has them, anonymous otherwise)
 * and the token is cached per (host, realm, service, scopes) until it expires.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { TsdError } from '../../api/errors.js';
import type { HttpTransport } from './http-transport.js';
import { readBodyBuffer, registryError } from './registry-errors.js';
import type { Credentials } from './types.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate value into challenges (scheme lower-cased, params unquoted). */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  const re = /\s*([A-Za-z][\w!#$%&'*+.^`|~-]*)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*))?\s*,?/gy;
  let current: Challenge | undefined;
  let match: RegExpExecArray | null;
  while (re.lastIndex < header.length && (match = re.exec(header)) !== null) {
    const [, name = '', rawValue] = match;
    if (rawValue === undefined) {
      current = { scheme: name.toLowerCase(), params: {} };
      challenges.push(current);
    } else if (current) {
      const value = rawValue.startsWith('"') ? rawValue.slice(1, -1).replace(/\\(.)/g, '$1') : rawValue;
      current.params[name.toLowerCase()] = value;
    }
    if (match[0].length === 0) break;
  }
  return challenges;
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

export class RegistryAuth {
  readonly #transport: HttpTransport;
  readonly #credentials: (host: string) => Credentials | undefined;
  readonly #challenges = new Map<string, Challenge>();
  readonly #tokens = new Map<string, CachedToken>();

  constructor(transport: HttpTransport, credentials: (host: string) => Credentials | undefined) {
    this.#transport = transport;
    this.#credentials = credentials;
  }

  /** The Authorization value to send up front, when an earlier challenge makes it known. */
  cachedHeader(host: string, scopes: string[]): string | undefined {
    const challenge = this.#challenges.get(host);
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') return this.#basicHeader(host);
    const token = this.#tokens.get(this.#tokenKey(host, challenge, scopes));
    return token && token.expiresAt > Date.now() ? token.header : undefined;
  }

  /** Answers a 401: returns the Authorization value to retry with, or throws why there is none. */
  async authorize(host: string, headers: IncomingHttpHeaders, scopes: string[]): Promise<string> {
    const value = headers['www-authenticate'];
    const challenges = parseWwwAuthenticate(Array.isArray(value) ? value.join(', ') : (value ?? ''));
    const challenge = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (!challenge) {
      throw new TsdError('invalid-argument', `unauthorized: ${host} answered 401 without a Basic or Bearer challenge`);
    }
    this.#challenges.set(host, challenge);
    if (challenge.scheme === 'basic') {
      const header = this.#basicHeader(host);
      if (!header) throw new TsdError('invalid-argument', `unauthorized: ${host} requires credentials (Basic auth) and none are configured`);
      return header;
    }
    const wanted = [...new Set([...scopes, ...(challenge.params.scope?.split(' ').filter(Boolean) ?? [])])].sort();
    const header = await this.#fetchToken(host, challenge, wanted);
    // Also under the scopes the caller asks with, so that its next request finds it up front.
    const expiresAt = this.#tokens.get(this.#tokenKey(host, challenge, wanted))?.expiresAt ?? 0;
    this.#tokens.set(this.#tokenKey(host, challenge, scopes), { header, expiresAt });
    return header;
  }

  #basicHeader(host: string): string | undefined {
    const credentials = this.#credentials(host);
    if (!credentials) return undefined;
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }

  #tokenKey(host: string, challenge: Challenge, scopes: string[]): string {
    return [host, challenge.params.realm, challenge.params.service, ...[...scopes].sort()].join('|');
  }

  async #fetchToken(host: string, challenge: Challenge, scopes: string[]): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) throw new TsdError('invalid-argument', `unauthorized: ${host} sent a Bearer challenge without a realm`);
    const url = new URL(realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const basic = this.#basicHeader(host);
    if (basic) url.searchParams.set('account', this.#credentials(host)?.username ?? '');
    const response = await this.#transport.send({ method: 'GET', url: url.toString(), headers: basic ? { authorization: basic } : {} });
    if (response.statusCode !== 200) {
      const error = await registryError(response, `token request to ${url.origin}${url.pathname} for ${host}`);
      throw new TsdError('invalid-argument', `unauthorized: ${error.message}`, { cause: error });
    }
    const body = JSON.parse((await readBodyBuffer(response, 1024 * 1024)).toString('utf8')) as {
      token?: string;
      access_token?: string;
      expires_in?: number;
    };
    const token = body.token ?? body.access_token;
    if (!token) throw new TsdError('invalid-argument', `unauthorized: token service ${url.origin} returned no token`);
    // Tokens live at least 60 s per the spec; renew a little early.
    const lifetimeMs = Math.max(60, body.expires_in ?? 60) * 1000 - 10_000;
    const header = `Bearer ${token}`;
    this.#tokens.set(this.#tokenKey(host, challenge, scopes), { header, expiresAt: Date.now() + lifetimeMs });
    return header;
  }
}
