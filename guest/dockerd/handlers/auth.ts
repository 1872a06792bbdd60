/**
 * POST /auth (docker login): checks credentials against the registry's /v2/ endpoint with the
 * shared registry client's auth (Basic, or the Bearer token flow with the credentials), as
 * dockerd does. Success is {"Status": "Login Succeeded"}; refused credentials are a 401 with the
 * registry's reason. Docker Hub (`https://index.docker.io/v1/`) means docker.io's origin, never a mirror.
 */
import type { ServerResponse } from 'node:http';
import { TsdError } from '../../api/errors.js';
import { DEFAULT_DOMAIN } from '../../api/oci-image-spec.js';
import { RegistryAuth } from '../../containerd/registry/auth.js';
import { endpointsFor } from '../../containerd/registry/endpoints.js';
import { HttpTransport } from '../../containerd/registry/http-transport.js';
import type { EngineContext } from '../engine-context.js';
import { sendJson } from '../error-table.js';
import { checkShape, readJson } from '../http/json-body.js';
import type { ApiRequest, Router } from '../router.js';

interface AuthBody {
  username?: string;
  password?: string;
  serveraddress?: string;
  email?: string;
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
}

const AUTH_SHAPE = {
  name: 'registry.AuthConfig',
  fields: {
    username: 'string', password: 'string', serveraddress: 'string', email: 'string', auth: 'string', identitytoken: 'string', registrytoken: 'string',
  },
} as const;

export function addAuthRoutes(router: Router, ctx: EngineContext): void {
  router.add('POST', '/auth', (req, res) => login(ctx, req, res));
}

/** The registry domain of a server address as the CLI sends it (`https://index.docker.io/v1/`, `host:5000`). */
export function registryDomain(serverAddress: string | undefined): string {
  if (!serverAddress) return DEFAULT_DOMAIN;
  const host = serverAddress.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'docker.io') return DEFAULT_DOMAIN;
  if (host === '') throw new TsdError('invalid-argument', `invalid registry address "${serverAddress}"`);
  return host;
}

async function login(ctx: EngineContext, req: ApiRequest, res: ServerResponse): Promise<void> {
  const body = await readJson<AuthBody>(req.raw);
  checkShape(body, AUTH_SHAPE);
  const domain = registryDomain(body.serveraddress);
  let username = body.username ?? '';
  let password = body.password ?? '';
  if (!username && body.auth) [username = '', password = ''] = Buffer.from(body.auth, 'base64').toString('utf8').split(/:(.*)/s);
  const options = ctx.registry.options({ username, password });
  const origin = endpointsFor(domain, { ...options, mirrors: {} }).find((endpoint) => !endpoint.mirror);
  if (!origin) throw new TsdError('unavailable', `no endpoint for registry ${domain}`);
  const transport = new HttpTransport({ attempts: 2, userAgent: options.userAgent });
  const auth = new RegistryAuth(transport, () => (username ? { username, password } : undefined));
  const url = `${origin.baseUrl}/v2/`;
  try {
    let response = await transport.send({ method: 'GET', url });
    if (response.statusCode === 401) {
      response.resume();
      const authorization = await auth.authorize(origin.host, response.headers, []);
      response = await transport.send({ method: 'GET', url, headers: { authorization } });
    }
    response.resume();
    if (response.statusCode !== 200) {
      sendJson(res, 401, { message: `login attempt to ${url} failed with status: ${response.statusCode} ${response.statusMessage ?? ''}`.trim() });
      return;
    }
    sendJson(res, 200, { Status: 'Login Succeeded', IdentityToken: '' });
  } catch (error) {
    const failure = error as TsdError;
    if (failure.code === 'invalid-argument' && failure.message.startsWith('unauthorized')) {
      sendJson(res, 401, { message: `Get "${url}": ${failure.message}` });
      return;
    }
    throw error;
  } finally {
    transport.close();
  }
}
