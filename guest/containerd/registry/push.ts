/**
 * Pushes an image from the content store to a registry's origin (never a mirror): blobs first
 * (HEAD to skip what exists, a cross-repository mount when a source repository is known, else an
 * upload — monolithic, or chunked PATCHes when `chunkSize` is set), then child manifests by
 * digest, then the root under the reference's tag.
 */
import { PassThrough, type Readable } from 'node:stream';
import { TsdError } from '../../api/errors.js';
import {
  formatReference,
  isIndexMediaType,
  parseReference,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type ImageReference,
} from '../../api/oci-image-spec.js';
import type { ContentStore } from '../content/content-store.js';
import { mapLimit } from './limit.js';
import type { RegistryClient, Repository } from './registry-client.js';
import { registryError } from './registry-errors.js';
import type { TransferListener } from './types.js';

export interface PushOptions {
  onEvent?: TransferListener;
  /** Repositories on the same registry to try mounting blobs from (besides distribution.source labels). */
  mountFrom?: string[];
  /** Upload in PATCH chunks of this many bytes instead of one PUT. */
  chunkSize?: number;
}

export async function pushImage(
  client: RegistryClient, store: ContentStore, reference: string | ImageReference, root: Descriptor, options: PushOptions = {},
): Promise<void> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const origin = client.endpoints(ref).find((e) => !e.mirror);
  if (!origin) throw new TsdError('unavailable', `cannot push ${formatReference(ref)}: its registry has no origin configured (mirrors are pull-only)`);
  const repository: Repository = { endpoint: origin, path: ref.path };
  const { blobs, manifests } = await collect(store, root);
  await mapLimit(blobs, client.options.concurrency ?? 3, (blob) => pushBlob(client, store, repository, ref, blob, options));
  for (const manifest of manifests) {
    const tagOrDigest = manifest.digest === root.digest ? (ref.tag ?? manifest.digest) : manifest.digest;
    await putManifest(client, store, repository, manifest, tagOrDigest);
    options.onEvent?.({ kind: 'manifest-done', digest: manifest.digest });
  }
}

/** Every blob under the root, and the manifests in the order to upload them (children first). */
async function collect(store: ContentStore, root: Descriptor): Promise<{ blobs: Descriptor[]; manifests: Descriptor[] }> {
  const blobs = new Map<string, Descriptor>();
  const manifests: Descriptor[] = [];
  const visit = async (descriptor: Descriptor): Promise<void> => {
    const parsed = JSON.parse((await store.readAll(descriptor.digest)).toString('utf8')) as ImageIndex & ImageManifest;
    if (isIndexMediaType(descriptor.mediaType)) {
      for (const child of parsed.manifests) {
        // Only what is present locally can be pushed (a pull keeps one platform of an index).
        if (await store.has(child.digest)) await visit(child);
        else throw new TsdError('not-found', `cannot push index ${descriptor.digest}: manifest ${child.digest} is not in the content store`);
      }
    } else {
      for (const blob of [parsed.config, ...parsed.layers]) blobs.set(blob.digest, blob);
    }
    manifests.push(descriptor);
  };
  await visit(root);
  return { blobs: [...blobs.values()], manifests };
}

async function pushBlob(
  client: RegistryClient, store: ContentStore, repository: Repository, ref: ImageReference, blob: Descriptor, options: PushOptions,
): Promise<void> {
  const emit = options.onEvent ?? (() => {});
  const head = await client.send(repository, { method: 'HEAD', target: `blobs/${blob.digest}`, actions: ['pull', 'push'] });
  head.resume();
  if (head.statusCode === 200) {
    emit({ kind: 'blob-exists', digest: blob.digest, size: blob.size });
    return;
  }
  const info = await store.info(blob.digest);
  const sources = [...(options.mountFrom ?? []), info.labels[`containerd.io/distribution.source.${ref.domain}`]]
    .filter((from): from is string => !!from && from !== repository.path);
  let location: string | undefined;
  for (const from of [...new Set(sources)]) {
    const response = await client.send(repository, {
      method: 'POST',
      target: `blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(from)}`,
      actions: ['pull', 'push'],
      extraScopes: [`repository:${from}:pull`],
      headers: { 'content-length': 0 },
    });
    response.resume();
    if (response.statusCode === 201) {
      emit({ kind: 'blob-mounted', digest: blob.digest, from });
      return;
    }
    // 202: the registry could not mount and opened an upload session instead.
    if (response.statusCode === 202) {
      location = locationOf(response.headers.location, repository);
      break;
    }
  }
  if (!location) {
    const response = await client.send(repository, {
      method: 'POST', target: 'blobs/uploads/', actions: ['pull', 'push'], headers: { 'content-length': 0 },
    });
    if (response.statusCode !== 202) throw await registryError(response, `starting upload of ${blob.digest} to ${repository.path}`);
    response.resume();
    location = locationOf(response.headers.location, repository);
  }
  emit({ kind: 'blob-start', digest: blob.digest, size: blob.size });
  if (options.chunkSize && options.chunkSize > 0) location = await uploadChunks(client, store, repository, blob, location, options.chunkSize, emit);
  const url = withQuery(location, 'digest', blob.digest);
  const chunked = !!options.chunkSize && options.chunkSize > 0;
  const response = await client.send(repository, {
    method: 'PUT',
    target: url,
    actions: ['pull', 'push'],
    headers: { 'content-type': 'application/octet-stream', 'content-length': chunked ? 0 : blob.size },
    body: chunked ? Buffer.alloc(0) : () => readStream(store, blob.digest),
  });
  if (response.statusCode !== 201) throw await registryError(response, `uploading ${blob.digest} to ${repository.path}`);
  response.resume();
  emit({ kind: 'blob-done', digest: blob.digest, size: blob.size });
}

async function uploadChunks(
  client: RegistryClient, store: ContentStore, repository: Repository, blob: Descriptor, start: string, chunkSize: number,
  emit: TransferListener,
): Promise<string> {
  let location = start;
  for (let offset = 0; offset < blob.size; offset += chunkSize) {
    const length = Math.min(chunkSize, blob.size - offset);
    const chunk = await readRange(store, blob.digest, offset, length);
    const response = await client.send(repository, {
      method: 'PATCH',
      target: location,
      actions: ['pull', 'push'],
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + length - 1}` },
      body: chunk,
    });
    if (response.statusCode !== 202) throw await registryError(response, `uploading chunk at ${offset} of ${blob.digest}`);
    response.resume();
    location = locationOf(response.headers.location, repository);
    emit({ kind: 'blob-progress', digest: blob.digest, done: offset + length, size: blob.size });
  }
  return location;
}

async function putManifest(client: RegistryClient, store: ContentStore, repository: Repository, manifest: Descriptor, tagOrDigest: string): Promise<void> {
  const bytes = await store.readAll(manifest.digest);
  const response = await client.send(repository, {
    method: 'PUT',
    target: `manifests/${tagOrDigest}`,
    actions: ['pull', 'push'],
    headers: { 'content-type': manifest.mediaType },
    body: bytes,
  });
  if (response.statusCode !== 201) throw await registryError(response, `putting manifest ${manifest.digest} as ${repository.path}:${tagOrDigest}`);
  response.resume();
  const stored = response.headers['docker-content-digest'];
  if (typeof stored === 'string' && stored !== manifest.digest) {
    throw new TsdError('internal', `registry stored manifest ${repository.path}:${tagOrDigest} as ${stored}, expected ${manifest.digest}`);
  }
}

function locationOf(header: string | undefined, repository: Repository): string {
  if (!header) throw new TsdError('internal', `registry ${repository.endpoint.baseUrl} started an upload without a Location`);
  return new URL(header, `${repository.endpoint.baseUrl}/`).toString();
}

function withQuery(location: string, key: string, value: string): string {
  const url = new URL(location);
  url.searchParams.set(key, value);
  return url.toString();
}

async function readRange(store: ContentStore, digest: string, offset: number, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.read(digest, { offset, length })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A body factory must return a stream at once: a pass-through fed once the store opens the blob. */
function readStream(store: ContentStore, digest: string): Readable {
  const out = new PassThrough();
  store.read(digest).then(
    (stream) => {
      stream.on('error', (error) => out.destroy(error));
      stream.pipe(out);
    },
    (error: unknown) => out.destroy(error as Error),
  );
  return out;
}
