/**
 * Registry clients configured like dockerd: docker.io through the configured mirrors (then
 * Docker Hub), insecure registries over plain HTTP, and per-request credentials from the
 * X-Registry-Auth header (base64url JSON {username, password, serveraddress, identitytoken}).
 */
import { TsdError } from '../../api/errors.js';
import { DEFAULT_DOMAIN } from '../../api/oci-image-spec.js';
import { RegistryClient } from '../../containerd/registry/registry-client.js';
import type { Credentials, RegistryClientOptions } from '../../containerd/registry/types.js';
import type { EngineConfig } from '../config/engine-config.js';
import { TSD_VERSION } from '../engine-options.js';

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export class RegistryAccess {
  constructor(private readonly config: EngineConfig) {}

  options(credentials?: Credentials): RegistryClientOptions {
    return {
      mirrors: { [DEFAULT_DOMAIN]: this.config.registryMirrors },
      origins: this.config.dockerHubOrigin ? {} : { [DEFAULT_DOMAIN]: null },
      insecureRegistries: this.config.insecureRegistries,
      credentials: credentials ? () => credentials : undefined,
      userAgent: `tsd/${TSD_VERSION}`,
    };
  }

  /** A client for one request; close it when done. */
  client(credentials?: Credentials): RegistryClient {
    return new RegistryClient(this.options(credentials));
  }
}

/** Decodes X-Registry-Auth (base64url or base64 JSON); an absent or empty header means anonymous. */
export function decodeRegistryAuth(header: string | string[] | undefined): AuthConfig | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  } catch {
    throw new TsdError('invalid-argument', 'invalid X-Registry-Auth header: not base64-encoded JSON');
  }
  if (parsed === null || typeof parsed !== 'object') throw new TsdError('invalid-argument', 'invalid X-Registry-Auth header: not a JSON object');
  return parsed as AuthConfig;
}

/** Username/password from an auth config (`auth` is base64 "user:password"). */
export function credentialsOf(auth: AuthConfig | undefined): Credentials | undefined {
  if (!auth) return undefined;
  if (auth.username || auth.password) return { username: auth.username ?? '', password: auth.password ?? '' };
  if (auth.auth) {
    const text = Buffer.from(auth.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  return undefined;
}
