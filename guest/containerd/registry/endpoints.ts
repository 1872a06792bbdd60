/**
 * Which base URLs serve a registry domain, in the order to try them: its mirrors, then its
 * origin. Plain HTTP for configured insecure registries and loopback (as dockerd does for
 * 127.0.0.0/8), HTTPS otherwise. An origin of `null` means mirrors only.
 */
import { TsdError } from '../../api/errors.js';
import { DEFAULT_DOMAIN } from '../../api/oci-image-spec.js';
import type { Endpoint, RegistryClientOptions } from './types.js';

const DOCKER_HUB_ORIGIN = 'https://registry-1.docker.io';

export function endpointsFor(domain: string, options: RegistryClientOptions): Endpoint[] {
  const insecure = new Set(options.insecureRegistries ?? []);
  const endpoints = (options.mirrors?.[domain] ?? []).map((url) => toEndpoint(url, domain, true, insecure));
  const override = options.origins?.[domain];
  if (override !== null) {
    const origin = override ?? (domain === DEFAULT_DOMAIN ? DOCKER_HUB_ORIGIN : domain);
    endpoints.push(toEndpoint(origin, domain, false, insecure));
  }
  if (endpoints.length === 0) {
    throw new TsdError('unavailable', `no endpoint for registry ${domain}: its origin is disabled and it has no mirrors`);
  }
  return endpoints;
}

function toEndpoint(url: string, registry: string, mirror: boolean, insecure: Set<string>): Endpoint {
  const withScheme = /^[a-z]+:\/\//i.test(url) ? url : `${isPlainHttp(url, insecure) ? 'http' : 'https'}://${url}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch (error) {
    throw new TsdError('invalid-argument', `invalid registry URL "${url}"`, { cause: error });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TsdError('invalid-argument', `invalid registry URL "${url}": only http and https are supported`);
  }
  // A mirror may carry a path prefix; the /v2/ API lives beneath it.
  const path = parsed.pathname.replace(/\/+$/, '').replace(/\/v2$/, '');
  return { baseUrl: `${parsed.protocol}//${parsed.host}${path}`, host: parsed.host, registry, mirror };
}

function isPlainHttp(hostPort: string, insecure: Set<string>): boolean {
  if (insecure.has(hostPort)) return true;
  const hostname = hostPort.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return hostname === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === '::1';
}
