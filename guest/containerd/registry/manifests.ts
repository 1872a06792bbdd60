/**
 * Manifests over distribution v2: resolve a tag (or digest) to a descriptor — HEAD first, GET when
 * the registry does not say the digest — and fetch a manifest or index by digest, verifying the
 * bytes against the digest before anyone parses them.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TsdError } from '../../api/errors.js';
import {
  MediaType,
  formatReference,
  isIndexMediaType,
  isManifestMediaType,
  parseDigest,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type ImageReference,
} from '../../api/oci-image-spec.js';
import type { RegistryClient, Repository } from './registry-client.js';
import { readBodyBuffer, registryError } from './registry-errors.js';

export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest].join(', ');
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export type FetchedManifest =
  | { kind: 'manifest'; descriptor: Descriptor; bytes: Buffer; manifest: ImageManifest }
  | { kind: 'index'; descriptor: Descriptor; bytes: Buffer; index: ImageIndex };

/** Resolves the reference on one repository (one endpoint) to the descriptor of its manifest or index. */
export async function resolveOn(client: RegistryClient, repository: Repository, reference: ImageReference): Promise<Descriptor> {
  const target = `manifests/${reference.digest ?? reference.tag ?? 'latest'}`;
  const what = `manifest ${formatReference(reference)} on ${repository.endpoint.baseUrl}`;
  const head = await client.send(repository, { method: 'HEAD', target, actions: ['pull'], headers: { accept: MANIFEST_ACCEPT } });
  head.resume();
  if (head.statusCode === 404) throw notFound(reference, repository);
  // Only a HEAD that is unsupported or says too little is worth a GET; other failures are final.
  if (head.statusCode !== 200 && head.statusCode !== 405 && head.statusCode !== 501) throw await registryError(head, what);
  if (head.statusCode === 200) {
    const digest = reference.digest ?? headerText(head, 'docker-content-digest');
    const mediaType = mediaTypeOf(head);
    const size = Number(head.headers['content-length']);
    if (digest && mediaType && Number.isSafeInteger(size) && size > 0 && (isManifestMediaType(mediaType) || isIndexMediaType(mediaType))) {
      parseDigest(digest);
      return { mediaType, digest, size };
    }
  }
  // HEAD unsupported or not telling enough: GET the manifest and compute its digest ourselves.
  const response = await client.send(repository, { method: 'GET', target, actions: ['pull'], headers: { accept: MANIFEST_ACCEPT } });
  if (response.statusCode === 404) {
    response.resume();
    throw notFound(reference, repository);
  }
  if (response.statusCode !== 200) throw await registryError(response, what);
  const bytes = await readBodyBuffer(response, MAX_MANIFEST_BYTES);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (reference.digest && reference.digest !== digest) {
    throw new TsdError('invalid-argument', `${what}: content digest ${digest} does not match the requested ${reference.digest}`);
  }
  return { mediaType: detectMediaType(mediaTypeOf(response), bytes, what), digest, size: bytes.length };
}

/** Fetches the manifest or index a descriptor names; its bytes must hash to the digest. */
export async function fetchManifest(client: RegistryClient, repository: Repository, descriptor: Descriptor): Promise<FetchedManifest> {
  const what = `manifest ${descriptor.digest} in ${repository.path} on ${repository.endpoint.baseUrl}`;
  const response = await client.send(repository, {
    method: 'GET', target: `manifests/${descriptor.digest}`, actions: ['pull'], headers: { accept: MANIFEST_ACCEPT },
  });
  if (response.statusCode !== 200) throw await registryError(response, what);
  const bytes = await readBodyBuffer(response, MAX_MANIFEST_BYTES);
  return parseManifestBytes(bytes, descriptor, mediaTypeOf(response), what);
}

/** Verifies digest and size, then parses; the media type comes from the descriptor, header or body. */
export function parseManifestBytes(bytes: Buffer, descriptor: Descriptor, headerType: string | undefined, what: string): FetchedManifest {
  const { algorithm, hex } = parseDigest(descriptor.digest);
  const actual = createHash(algorithm).update(bytes).digest('hex');
  if (actual !== hex) {
    throw new TsdError('invalid-argument', `${what}: content has digest ${algorithm}:${actual}, expected ${descriptor.digest}`);
  }
  if (descriptor.size !== bytes.length) {
    throw new TsdError('invalid-argument', `${what}: content is ${bytes.length} bytes, expected ${descriptor.size}`);
  }
  const mediaType = detectMediaType(
    isManifestMediaType(descriptor.mediaType) || isIndexMediaType(descriptor.mediaType) ? descriptor.mediaType : headerType, bytes, what,
  );
  const parsed = parseJson(bytes, what) as Partial<ImageManifest & ImageIndex>;
  if (parsed.schemaVersion !== 2) throw new TsdError('unsupported', `${what}: schemaVersion ${String(parsed.schemaVersion)} is not supported (want 2)`);
  const resolved = { ...descriptor, mediaType };
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(parsed.manifests)) throw new TsdError('invalid-argument', `${what}: index without a manifests list`);
    return { kind: 'index', descriptor: resolved, bytes, index: parsed as ImageIndex };
  }
  if (!parsed.config || !Array.isArray(parsed.layers)) throw new TsdError('invalid-argument', `${what}: manifest without config or layers`);
  return { kind: 'manifest', descriptor: resolved, bytes, manifest: parsed as ImageManifest };
}

function detectMediaType(headerType: string | undefined, bytes: Buffer, what: string): string {
  if (headerType && (isManifestMediaType(headerType) || isIndexMediaType(headerType))) return headerType;
  const body = parseJson(bytes, what) as { mediaType?: string; manifests?: unknown; layers?: unknown };
  if (body.mediaType && (isManifestMediaType(body.mediaType) || isIndexMediaType(body.mediaType))) return body.mediaType;
  if (Array.isArray(body.manifests)) return MediaType.ociIndex;
  if (Array.isArray(body.layers)) return MediaType.ociManifest;
  throw new TsdError('unsupported', `${what}: unsupported manifest media type ${headerType ?? body.mediaType ?? '(none)'}`);
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new TsdError('invalid-argument', `${what}: not valid JSON`, { cause: error });
  }
}

function mediaTypeOf(response: IncomingMessage): string | undefined {
  return headerText(response, 'content-type')?.split(';')[0]?.trim();
}

function headerText(response: IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function notFound(reference: ImageReference, repository: Repository): TsdError {
  return new TsdError('not-found', `manifest unknown: ${formatReference(reference)} not found on ${repository.endpoint.baseUrl}`);
}
