/**
 * The /images endpoints: list, inspect, history, tag, remove, prune, pull, push, save, load,
 * and search (not supported: this engine talks to no index); and /distribution/{name}/json.
 */
import type { ServerResponse } from 'node:http';
import { TsdError } from '../../api/errors.js';
import { familiarReference, formatReference, parseReference } from '../../api/oci-image-spec.js';
import type { EngineContext } from '../engine-context.js';
import { sendJson } from '../error-table.js';
import { FilterArgs } from '../http/filters.js';
import { queryBool } from '../http/json-body.js';
import type { ApiRequest, Router } from '../router.js';
import { parseEventTime } from '../events/event-filters.js';
import { handleLoad, handleSave } from './archive-routes.js';
import { distributionInspect, RegistryResponseError } from './distribution-inspect.js';
import { setImageName } from './image-names.js';
import { createdSeconds, imageHistory, imageInspect, imageSummary } from './image-json.js';
import { isDangling, repoDigests, repoTags, safeParse, type LoadedImage } from './image-record.js';
import { handlePull } from './pull-image.js';
import { handlePush } from './push-image.js';
import { credentialsOf, decodeRegistryAuth } from './registry-access.js';
import { manifestSummaries } from './manifest-summary.js';
import { decodePlatformQuery, imageForPlatform } from './platform-select.js';
import { pruneImages, removeImage } from './remove-image.js';

export function addImageRoutes(router: Router, ctx: EngineContext): void {
  router.add('GET', '/images/json', (req, res) => listImages(ctx, req, res));
  router.add('POST', '/images/create', (req, res) => handlePull(ctx, req, res));
  router.add('POST', '/images/load', (req, res) => handleLoad(ctx, req, res));
  router.add('GET', '/images/get', (req, res) => handleSave(ctx, req, res));
  router.add('POST', '/images/prune', (req, res) => prune(ctx, req, res));
  router.add('GET', '/images/search', () => {
    throw new TsdError('unsupported', 'image search is not supported by this engine: it is configured with registry mirrors, not an index');
  });
  // Names contain slashes (`host:5000/a/b`): these routes take the rest of the path as {name}.
  router.add('GET', '/images/{name*}/json', async (req, res) => {
    const manifests = atLeast(req, 48) && queryBool(req.query, 'manifests');
    const platformText = atLeast(req, 49) ? req.query.get('platform') : null;
    const platform = platformText ? decodePlatformQuery(platformText) : undefined;
    if (manifests && platform) throw new TsdError('invalid-argument', 'conflicting options: manifests and platform options cannot both be set');
    let image = await ctx.images.resolve(req.params.name!);
    if (platform) image = await imageForPlatform(ctx, image, platform);
    const body = await imageInspect(ctx.containerd, image, req.apiVersion);
    if (manifests) body.Manifests = await manifestSummaries(ctx, image);
    sendJson(res, 200, body);
  });
  router.add('GET', '/images/{name*}/history', async (req, res) => {
    const platformText = atLeast(req, 48) ? req.query.get('platform') : null;
    const platform = platformText ? decodePlatformQuery(platformText) : undefined;
    const image = await ctx.images.resolve(req.params.name!);
    sendJson(res, 200, await imageHistory(ctx.containerd, platform ? await imageForPlatform(ctx, image, platform) : image));
  });
  router.add('GET', '/images/{name*}/get', (req, res) => handleSave(ctx, req, res, [req.params.name!]));
  router.add('POST', '/images/{name*}/tag', (req, res) => tagImage(ctx, req, res));
  router.add('POST', '/images/{name*}/push', (req, res) => handlePush(ctx, req, res));
  router.add('GET', '/distribution/{name*}/json', async (req, res) => {
    // As dockerd: an X-Registry-Auth that does not decode is ignored, not an error.
    let credentials;
    try {
      credentials = credentialsOf(decodeRegistryAuth(req.raw.headers['x-registry-auth']));
    } catch {
      credentials = undefined;
    }
    try {
      sendJson(res, 200, await distributionInspect(ctx, req.params.name!, credentials));
    } catch (error) {
      if (!(error instanceof RegistryResponseError)) throw error;
      sendJson(res, error.status, { message: error.message });
    }
  });
  router.add('DELETE', '/images/{name*}', async (req, res) => {
    sendJson(res, 200, await removeImage(ctx, req.params.name!, queryBool(req.query, 'force')));
  });
}

const LIST_FILTERS = ['dangling', 'label', 'label!', 'before', 'since', 'reference', 'until'] as const;

async function listImages(ctx: EngineContext, req: ApiRequest, res: ServerResponse): Promise<void> {
  const filters = FilterArgs.parse(req.query.get('filters'), LIST_FILTERS);
  const dangling = filters.boolean('dangling');
  const withManifests = atLeast(req, 47) && queryBool(req.query, 'manifests');
  let images = await ctx.images.list();
  const created = async (ref: string): Promise<number> => createdSeconds(await ctx.images.resolve(ref));
  const before = filters.has('before') ? Math.min(...(await Promise.all(filters.get('before').map(created)))) : undefined;
  const since = filters.has('since') ? Math.max(...(await Promise.all(filters.get('since').map(created)))) : undefined;
  const until = filters.has('until') ? Number(parseEventTime(filters.get('until')[0]!, 'until') / 1_000_000_000n) : undefined;
  images = images.filter((image) => {
    const isDanglingImage = image.records.every(isDangling);
    if (dangling !== undefined && dangling !== isDanglingImage) return false;
    if (!filters.matchesLabels(image.config.config?.Labels)) return false;
    const time = createdSeconds(image);
    if (before !== undefined && time >= before) return false;
    if (since !== undefined && time <= since) return false;
    if (until !== undefined && time > until) return false;
    if (filters.has('reference') && !filters.get('reference').some((pattern) => matchesReference(image, pattern))) return false;
    return true;
  });
  const summaries = [];
  for (const image of images) {
    // API 1.51 made Containers the count of containers using the image; before, it was always -1.
    const containers = atLeast(req, 51) && ctx.containers ? (await ctx.containers.usingImage(image.id)).length : -1;
    const summary = await imageSummary(ctx.containerd, image, containers);
    // API 1.48 adds the target descriptor; 1.47 the per-manifest summaries on request (manifests=1).
    if (atLeast(req, 48)) summary.Descriptor = { mediaType: image.target.mediaType, digest: image.target.digest, size: image.target.size };
    if (withManifests) summary.Manifests = await manifestSummaries(ctx, image);
    // With a reference filter Docker lists only the matching tags (and digests) of each image.
    if (filters.has('reference')) {
      const matching = (name: string, repo: string): boolean => filters.get('reference').some((p) => globMatch(p, name) || globMatch(p, repo));
      summary.RepoTags = repoTags(image).filter((tag) => matching(tag, tag.replace(/:[^:/]+$/, '')));
      summary.RepoDigests = repoDigests(image).filter((digest) => matching(digest, digest.replace(/@.*$/, '')));
    }
    summaries.push(summary);
  }
  summaries.sort((a, b) => (b.Created as number) - (a.Created as number));
  sendJson(res, 200, summaries);
}

function atLeast(req: ApiRequest, minor: number): boolean {
  return req.apiVersion.major > 1 || req.apiVersion.minor >= minor;
}

function matchesReference(image: LoadedImage, pattern: string): boolean {
  return repoTags(image).some((tag) => globMatch(pattern, tag) || globMatch(pattern, tag.replace(/:[^:/]+$/, '')));
}

/** Go's path.Match for the patterns people use: `*` and `?` within a path segment. */
export function globMatch(pattern: string, value: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${regex}$`).test(value);
}

async function tagImage(ctx: EngineContext, req: ApiRequest, res: ServerResponse): Promise<void> {
  const image = await ctx.images.resolve(req.params.name!);
  const repo = req.query.get('repo');
  if (!repo) throw new TsdError('invalid-argument', 'repository name (repo) is required');
  const tagParam = req.query.get('tag') ?? '';
  const repoRef = parseReference(repo);
  if (repoRef.digest !== undefined) throw new TsdError('invalid-argument', `refusing to create a tag with a digest reference: ${repo}`);
  // `repo` may carry the tag itself (`repo=name:1`); an explicit `tag` wins, else latest.
  const ref = tagParam ? parseReference(`${familiarReference({ ...repoRef, tag: undefined })}:${tagParam}`) : repoRef;
  await setImageName(ctx.containerd, formatReference(ref), image.target);
  ctx.events.publish({ type: 'image', action: 'tag', actor: image.id, attributes: { name: familiarReference(ref) } });
  res.writeHead(201, { 'Content-Length': '0' });
  res.end();
}

async function prune(ctx: EngineContext, req: ApiRequest, res: ServerResponse): Promise<void> {
  const filters = FilterArgs.parse(req.query.get('filters'), ['dangling', 'label', 'label!', 'until']);
  const dangling = filters.boolean('dangling') ?? true;
  const untilText = filters.get('until')[0];
  const result = await pruneImages(ctx, {
    all: !dangling,
    labels: (labels) => filters.matchesLabels(labels),
    until: untilText ? Number(parseEventTime(untilText, 'until') / 1_000_000n) : undefined,
  });
  sendJson(res, 200, result);
}

export { safeParse };
