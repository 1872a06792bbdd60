/**
 * POST /images/create?fromImage=…&tag=…&platform=…: pull an image through containerd, as
 * Docker's containerd image store does: the shared registry client fetches into containerd's
 * content store (under a lease), the image is registered with Images.Create, and its layers are
 * unpacked into overlayfs snapshots. Progress is Docker's JSON stream. Clients pulling the same
 * image share one download, cancelled when the last of them disconnects (shared-pulls.ts).
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { TsdError } from '../../api/errors.js';
import { familiarReference, formatReference, parseReference, type ImageReference } from '../../api/oci-image-spec.js';
import { pullImage } from '../../containerd/registry/pull.js';
import { readBounded, registryError } from '../../containerd/registry/registry-errors.js';
import { formatPlatform, parsePlatform } from '../../containerd/registry/platforms.js';
import type { PlatformSpec } from '../../containerd/registry/types.js';
import type { EngineContext } from '../engine-context.js';
import { startJsonStream } from '../http/json-stream.js';
import type { ApiRequest } from '../router.js';
import { setImageName } from './image-names.js';
import { importImage } from './import-image.js';
import { cancellableClient, cancellableStore, pullCancelled } from './pull-cancel.js';
import { PullProgress, shortId, type ProgressMessage } from './pull-progress.js';
import { credentialsOf, decodeRegistryAuth } from './registry-access.js';
import { SharedPulls } from './shared-pulls.js';
import { unpackImage } from './unpack.js';

export async function handlePull(ctx: EngineContext, req: ApiRequest, res: ServerResponse): Promise<void> {
  const fromSrc = req.query.get('fromSrc');
  if (fromSrc) {
    if (fromSrc !== '-') throw new TsdError('unsupported', `importing from ${fromSrc} is not supported: send the tarball in the request body (fromSrc=-)`);
    const id = await importImage(ctx, req.raw, {
      repo: req.query.get('repo') ?? undefined, tag: req.query.get('tag') ?? undefined, message: req.query.get('message') ?? undefined, changes: req.query.getAll('changes'),
    });
    const stream = startJsonStream(res);
    stream.send({ status: id });
    stream.end();
    return;
  }
  const fromImage = req.query.get('fromImage');
  if (!fromImage) throw new TsdError('invalid-argument', 'fromImage is required');
  const tag = req.query.get('tag');
  const ref = referenceOf(fromImage, tag ?? '');
  const platform = platformOf(req.query.get('platform'));
  const credentials = credentialsOf(decodeRegistryAuth(req.raw.headers['x-registry-auth']));
  const stream = startJsonStream(res);
  try {
    // No tag parameter at all (`docker pull --all-tags`) and none in the name: every tag.
    const allTags = tag === null && !/:[^/]+$/.test(fromImage) && !fromImage.includes('@');
    const refs = allTags ? await allTagsOf(ctx, ref, credentials) : [ref];
    const watcher = { send: (message: ProgressMessage) => stream.send(message), signal: stream.signal };
    for (const one of refs) {
      await sharedPullsOf(ctx).join(pullKey(one, platform, credentials), watcher, (signal, send) => pull(ctx, one, { platform, credentials, send, signal }));
    }
    stream.end();
  } catch (error) {
    stream.fail(error);
  }
}

/** Running pulls per engine (a WeakMap: the context is the engine). */
const sharedPulls = new WeakMap<EngineContext, SharedPulls>();

export function sharedPullsOf(ctx: EngineContext): SharedPulls {
  let pulls = sharedPulls.get(ctx);
  if (!pulls) sharedPulls.set(ctx, (pulls = new SharedPulls()));
  return pulls;
}

/** Pulls share a download only when they would fetch the same thing with the same credentials. */
function pullKey(ref: ImageReference, platform: PlatformSpec | undefined, credentials: { username: string; password: string } | undefined): string {
  const who = credentials ? createHash('sha256').update(`${credentials.username}\0${credentials.password}`).digest('hex') : '';
  return JSON.stringify([formatReference(ref), platform ? formatPlatform(platform) : '', who]);
}

/** Every tag of the repository, from the registry's tags/list (mirrors first, like a pull). */
async function allTagsOf(ctx: EngineContext, ref: ImageReference, credentials?: { username: string; password: string }): Promise<ImageReference[]> {
  const client = ctx.registry.client(credentials);
  try {
    const tags = await client.onFirstEndpoint(ref, async (repository) => {
      const response = await client.send(repository, { method: 'GET', target: 'tags/list', actions: ['pull'] });
      if (response.statusCode !== 200) throw await registryError(response, `tags of ${repository.path}`);
      const body = JSON.parse(await readBounded(response, 4 * 1024 * 1024)) as { tags?: string[] | null };
      return body.tags ?? [];
    });
    if (tags.length === 0) throw new TsdError('not-found', `${familiarReference({ ...ref, tag: undefined })} has no tags`);
    return tags.sort().map((tag) => ({ domain: ref.domain, path: ref.path, tag }));
  } finally {
    client.close();
  }
}

/** `fromImage` with `tag` (a tag or a digest), normalised; `docker pull busybox` sends tag=latest. */
export function referenceOf(fromImage: string, tag: string): ImageReference {
  const base = parseReference(fromImage);
  if (tag === '') return base;
  if (/^[a-z0-9]+:[a-f0-9]+$/i.test(tag)) return parseReference(`${familiarReference({ ...base, tag: undefined, digest: undefined })}@${tag}`);
  return parseReference(`${familiarReference({ ...base, tag: undefined, digest: undefined })}:${tag}`);
}

function platformOf(text: string | null): PlatformSpec | undefined {
  if (!text) return undefined;
  const platform = parsePlatform(text);
  if (platform.os !== 'linux') throw new TsdError('invalid-argument', `"${text}": operating system "${platform.os}" is not supported (linux only)`);
  return platform;
}

export interface PullOptions {
  platform?: PlatformSpec;
  credentials?: { username: string; password: string };
  send?: (message: ProgressMessage) => void;
  signal?: AbortSignal;
}

/** Pulls `ref` into containerd and names it; returns the image's target digest. */
export async function pull(ctx: EngineContext, ref: ImageReference, options: PullOptions = {}): Promise<string> {
  const send = options.send ?? (() => undefined);
  const signal = options.signal ?? new AbortController().signal;
  const client = cancellableClient(ctx.registry.client(options.credentials), signal);
  const familiar = familiarReference(ref);
  const tagOrDigest = ref.digest ?? ref.tag ?? 'latest';
  const progress = new PullProgress(send);
  try {
    return await ctx.containerd.leases.with('pull', async (lease) => {
      const store = cancellableStore(ctx.containerd.content.withLease(lease), signal);
      const pulled = await pullImage(client, store, ref, {
        platform: options.platform,
        onEvent: (event) => {
          if (event.kind === 'resolved') send({ status: `Pulling from ${ref.path}`, id: tagOrDigest });
          progress.onEvent(event);
        },
      });
      if (signal.aborted) throw pullCancelled();
      const name = formatReference(ref);
      const record = { name, labels: {}, target: pulled.target, createdAt: new Date(), updatedAt: new Date() };
      const image = await ctx.images.load(record);
      await unpackImage(ctx.containerd, image, (event) => {
        const id = shortId(event.layer);
        if (event.kind === 'extracting') send({ status: 'Extracting', progressDetail: {}, id });
        if (event.kind === 'extracted') send({ status: 'Pull complete', progressDetail: {}, id });
      });
      const before = await ctx.containerd.images.get(name).catch(() => undefined);
      await setImageName(ctx.containerd, name, pulled.target);
      send({ status: `Digest: ${pulled.target.digest}` });
      const upToDate = before?.target.digest === pulled.target.digest;
      send({ status: upToDate ? `Status: Image is up to date for ${familiar}` : `Status: Downloaded newer image for ${familiar}` });
      ctx.events.publish({ type: 'image', action: 'pull', actor: familiar, attributes: { name: familiarReference({ ...ref, tag: undefined, digest: undefined }) } });
      return pulled.target.digest;
    });
  } catch (error) {
    if (signal.aborted) throw pullCancelled(); // whatever broke first, the cause is the cancel
    throw pullError(error, ref, options.platform);
  } finally {
    client.close();
  }
}

/** Docker's wording for the usual pull failures. */
function pullError(error: unknown, ref: ImageReference, platform: PlatformSpec | undefined): unknown {
  if (!(error instanceof TsdError)) return error;
  const familiar = familiarReference(ref);
  if (error.code === 'not-found' && /no matching manifest/.test(error.message) && platform) {
    return new TsdError('not-found', `no matching manifest for ${formatPlatform(platform)} in the manifest list entries: ${error.message}`, { cause: error });
  }
  if (error.code === 'not-found') {
    return new TsdError('not-found', `manifest for ${familiar} not found: manifest unknown: ${error.message}`, { cause: error });
  }
  if (error.message.startsWith('unauthorized')) {
    return new TsdError('invalid-argument', `pull access denied for ${familiarReference({ ...ref, tag: undefined, digest: undefined })}, repository does not exist or may require 'docker login': ${error.message}`, { cause: error });
  }
  return error;
}
