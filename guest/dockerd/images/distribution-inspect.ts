/**
 * `GET /distribution/{name}/json` (DistributionInspect): what the registry says a name points at,
 * without pulling — the manifest's or index's descriptor, and the platforms it serves (an index's
 * entries; a Docker schema2 manifest's config). Each endpoint of the name's registry is tried in
 * order (mirrors, then origin) and the last failure is returned, as dockerd does. Registry errors
 * keep their distribution status and wording (`manifest unknown: manifest unknown`, 404).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TsdError } from '../../api/errors.js';
import { MediaType, parseReference, type Descriptor, type Platform } from '../../api/oci-image-spec.js';
import { MANIFEST_ACCEPT, parseManifestBytes } from '../../containerd/registry/manifests.js';
import type { RegistryClient, Repository } from '../../containerd/registry/registry-client.js';
import { readBodyBuffer } from '../../containerd/registry/registry-errors.js';
import type { Credentials } from '../../containerd/registry/types.js';
import type { EngineContext } from '../engine-context.js';

export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  /** null when the registry's answer names none (as in dockerd, where the slice stays nil). */
  Platforms: DistributionPlatform[] | null;
}

/** An OCI platform as Docker serialises one. */
export interface DistributionPlatform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
}

/** A registry's error answer: its HTTP status passes through, as dockerd reports distribution errors. */
export class RegistryResponseError extends TsdError {
  constructor(readonly status: number, message: string) {
    super(status === 404 ? 'not-found' : status >= 500 ? 'unavailable' : 'invalid-argument', message);
  }
}

const MAX_BYTES = 4 * 1024 * 1024;

export async function distributionInspect(ctx: EngineContext, name: string, credentials: Credentials | undefined): Promise<DistributionInspect> {
  if (/^(sha256:)?[a-f0-9]{64}$/.test(name)) throw new TsdError('internal', 'no manifest found for full image ID');
  const ref = parseReference(name);
  const client = ctx.registry.client(credentials);
  try {
    const endpoints = client.endpoints(ref);
    if (endpoints.length === 0) throw new TsdError('unavailable', `no endpoint for ${ref.domain}: docker.io has no mirror and its origin is off`);
    let lastError: unknown;
    for (const endpoint of endpoints) {
      try {
        return await inspectOn(client, { endpoint, path: ref.path }, ref.digest ?? ref.tag ?? 'latest');
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  } finally {
    client.close();
  }
}

/** A request; the client's auth failures (all "unauthorized: …") become the 401 the registry meant. */
async function send(client: RegistryClient, repository: Repository, target: string, accept?: string): Promise<IncomingMessage> {
  try {
    return await client.send(repository, { method: 'GET', target, actions: ['pull'], headers: accept ? { accept } : {} });
  } catch (error) {
    if (error instanceof TsdError && error.message.startsWith('unauthorized: ')) throw new RegistryResponseError(401, error.message);
    throw error;
  }
}

async function inspectOn(client: RegistryClient, repository: Repository, tagOrDigest: string): Promise<DistributionInspect> {
  const response = await send(client, repository, `manifests/${tagOrDigest}`, MANIFEST_ACCEPT);
  if (response.statusCode !== 200) throw await responseError(response.statusCode ?? 0, await readBodyBuffer(response, 64 * 1024).catch(() => Buffer.alloc(0)));
  const bytes = await readBodyBuffer(response, MAX_BYTES);
  const headerDigest = response.headers['docker-content-digest'];
  const digest = tagOrDigest.includes(':') ? tagOrDigest : typeof headerDigest === 'string' && headerDigest ? headerDigest : undefined;
  const contentType = response.headers['content-type']?.split(';')[0]?.trim();
  const computed = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const descriptor: Descriptor = { mediaType: contentType ?? '', digest: digest ?? computed, size: bytes.length };
  // Verified against the digest asked for or announced; the media type settled from header or body.
  const fetched = parseManifestBytes(bytes, descriptor, contentType, `manifest ${tagOrDigest} in ${repository.path}`);
  const result: DistributionInspect = {
    Descriptor: { mediaType: fetched.descriptor.mediaType, digest: fetched.descriptor.digest, size: fetched.descriptor.size },
    Platforms: null,
  };
  if (fetched.kind === 'index') {
    const platforms = fetched.index.manifests.map((entry) => platformOf(entry.platform));
    if (platforms.length > 0) result.Platforms = platforms;
  } else if (fetched.descriptor.mediaType === MediaType.dockerManifest) {
    // dockerd reads the platform from a schema2 manifest's config only (not from an OCI manifest's).
    const config = await configPlatform(client, repository, fetched.manifest.config.digest);
    if (config && (config.os || config.architecture)) result.Platforms = [config];
  }
  return result;
}

function platformOf(platform: Partial<Platform> | undefined): DistributionPlatform {
  const out: DistributionPlatform = { architecture: platform?.architecture ?? '', os: platform?.os ?? '' };
  if (platform?.['os.version']) out['os.version'] = platform['os.version'];
  if (platform?.['os.features']?.length) out['os.features'] = platform['os.features'];
  if (platform?.variant) out.variant = platform.variant;
  return out;
}

async function configPlatform(client: RegistryClient, repository: Repository, digest: string): Promise<DistributionPlatform | undefined> {
  try {
    const response = await send(client, repository, `blobs/${digest}`);
    if (response.statusCode !== 200) {
      response.resume();
      return undefined;
    }
    return platformOf(JSON.parse((await readBodyBuffer(response, MAX_BYTES)).toString('utf8')) as Partial<Platform>);
  } catch {
    return undefined; // as dockerd: a config that cannot be read just leaves Platforms empty
  }
}

/** distribution's errcode wording: `<code in lower case with spaces>: <message>`. */
async function responseError(status: number, body: Buffer): Promise<RegistryResponseError> {
  try {
    const first = (JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: string; message?: string }> }).errors?.[0];
    if (first?.code) return new RegistryResponseError(status, `${first.code.toLowerCase().replace(/_/g, ' ')}: ${first.message ?? ''}`);
  } catch {
    // not distribution's JSON
  }
  return new RegistryResponseError(status, `unexpected status from registry: ${status} ${body.toString('utf8').trim().slice(0, 200)}`.trim());
}
