/**
 * A small token service for the registry's `auth: token` mode, so that the Bearer flow from
 * WWW-Authenticate is exercised against the real registry.
 *
 * It generates a self-signed RSA key and certificate (openssl) at start, gives the registry the
 * certificate as its root bundle, and signs RS256 JWTs whose header carries the certificate in
 * `x5c` (distribution 2.8 verifies that chain against the bundle). Anonymous callers get
 * `anonymousActions`; callers with valid Basic credentials get `userActions`; bad credentials
 * get 401. Every request is logged so that tests can see what the client asked for.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RegistryAuth } from './registry.js';

export interface TokenRequest {
  account: string | undefined;
  service: string | null;
  scopes: string[];
  granted: Array<{ type: string; name: string; actions: string[] }>;
}

export interface TokenServiceOptions {
  /** user → password accepted through Basic auth on the token endpoint. */
  users?: Record<string, string>;
  /** Actions granted without credentials (default ['pull']; [] means anonymous gets nothing). */
  anonymousActions?: string[];
  /** Actions granted to an authenticated user (default pull, push, delete). */
  userActions?: string[];
}

export interface RunningTokenService {
  realm: string;
  service: string;
  issuer: string;
  /** Pass to startRegistry({ auth }). */
  registryAuth: Extract<RegistryAuth, { kind: 'token' }>;
  requests: TokenRequest[];
  stop(): Promise<void>;
}

const SERVICE = 'tsd-test-registry';
const ISSUER = 'tsd-test-token-service';

export async function startTokenService(options: TokenServiceOptions = {}): Promise<RunningTokenService> {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-token-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath,
    '-days', '2', '-subj', '/CN=tsd-test-token-service',
  ]);
  const key = await readFile(keyPath, 'utf8');
  const certDer = new X509Certificate(await readFile(certPath)).raw.toString('base64');
  const users = options.users ?? {};
  const anonymousActions = options.anonymousActions ?? ['pull'];
  const userActions = options.userActions ?? ['pull', 'push', 'delete'];
  const requests: TokenRequest[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://token');
    if (url.pathname !== '/token') return reply(res, 404, { errors: [{ code: 'NOT_FOUND' }] });
    const account = basicUser(req.headers.authorization, users);
    if (account === null) return reply(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
    const allowed = account === undefined ? anonymousActions : userActions;
    const scopes = url.searchParams.getAll('scope').flatMap((scope) => scope.split(' ')).filter(Boolean);
    const granted = scopes.map(parseScope).map((access) => ({ ...access, actions: access.actions.filter((a) => allowed.includes(a)) }));
    requests.push({ account, service: url.searchParams.get('service'), scopes, granted });
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: ISSUER,
      sub: account ?? '',
      aud: SERVICE,
      exp: now + 300,
      nbf: now - 30,
      iat: now,
      jti: randomBytes(12).toString('hex'),
      access: granted,
    };
    const token = signJwt(claims, key, certDer);
    reply(res, 200, { token, access_token: token, expires_in: 300, issued_at: new Date(now * 1000).toISOString() });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const realm = `http://127.0.0.1:${port}/token`;
  return {
    realm,
    service: SERVICE,
    issuer: ISSUER,
    registryAuth: { kind: 'token', realm, service: SERVICE, issuer: ISSUER, rootCertBundlePath: certPath },
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** undefined: anonymous; null: credentials given but wrong; string: the user. */
function basicUser(header: string | undefined, users: Record<string, string>): string | undefined | null {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ');
  if (scheme?.toLowerCase() !== 'basic' || !value) return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = decoded.slice(0, colon);
  return colon > 0 && users[user] !== undefined && users[user] === decoded.slice(colon + 1) ? user : null;
}

/** `repository:library/busybox:pull,push` → {type, name, actions}. */
function parseScope(scope: string): { type: string; name: string; actions: string[] } {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first === -1 || last === first) return { type: scope, name: '', actions: [] };
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',') };
}

function signJwt(claims: object, privateKeyPem: string, certDerBase64: string): string {
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode({ typ: 'JWT', alg: 'RS256', x5c: [certDerBase64] })}.${encode(claims)}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(privateKeyPem).toString('base64url');
  return `${signingInput}.${signature}`;
}

function reply(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
