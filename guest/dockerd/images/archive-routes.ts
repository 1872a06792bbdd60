/** GET /images/get, GET /images/{name}/get (docker save) and POST /images/load (docker load). */
import type { ServerResponse } from 'node:http';
import { TsdError } from '../../api/errors.js';
import type { EngineContext } from '../engine-context.js';
import { queryBool } from '../http/json-body.js';
import { startJsonStream } from '../http/json-stream.js';
import type { ApiRequest } from '../router.js';
import { loadImages } from './archive-load.js';
import { saveImages } from './archive-save.js';
import { decodePlatformQuery, imageForPlatform } from './platform-select.js';
import { TarWriter } from './tar-writer.js';

export async function handleSave(ctx: EngineContext, req: ApiRequest, res: ServerResponse, names?: string[]): Promise<void> {
  const wanted = names ?? req.query.getAll('names');
  if (wanted.length === 0) throw new TsdError('invalid-argument', 'no images given to save (names=…)');
  const platformText = req.apiVersion.major > 1 || req.apiVersion.minor >= 48 ? req.query.get('platform') : null;
  const platform = platformText ? decodePlatformQuery(platformText) : undefined;
  // Resolve every name (and platform) before the 200 goes out, so a missing image is a clean 404.
  for (const name of wanted) {
    const image = await ctx.images.resolve(name);
    if (platform) await imageForPlatform(ctx, image, platform);
  }
  res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  try {
    await saveImages(ctx, wanted, new TarWriter(res), platform);
    res.end();
  } catch (error) {
    // Mid-archive there is no way to report an error but to cut the stream.
    res.destroy(error as Error);
  }
}

export async function handleLoad(ctx: EngineContext, req: ApiRequest, res: ServerResponse): Promise<void> {
  queryBool(req.query, 'quiet'); // validated; the CLI decides what to print either way
  // `platform` from API 1.48, once (several are 1.52's); a bad one is a 400 before any output.
  const platformTexts = req.apiVersion.major > 1 || req.apiVersion.minor >= 48 ? req.query.getAll('platform') : [];
  if (platformTexts.length > 1) throw new TsdError('invalid-argument', 'multiple platform parameters are not supported in this API version; use API version 1.52 or later');
  const platform = platformTexts[0] !== undefined ? decodePlatformQuery(platformTexts[0]) : undefined;
  const stream = startJsonStream(res);
  // moby answers a platform the archive lacks in the stream (200, then the error), after loading.
  if (platform) stream.open();
  try {
    const result = await loadImages(ctx, req.raw, { platform });
    for (const item of result.loaded) {
      stream.send({ stream: item.tag ? `Loaded image: ${item.tag}\n` : `Loaded image ID: ${item.id}\n` });
    }
    stream.end();
  } catch (error) {
    stream.fail(error);
  }
}
