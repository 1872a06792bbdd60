/** `tsd images`: GET /images/json as docker's table (one row per tag), or `-q` unique ids. */
import type { EngineClient } from '../engine-client.js';
import type { ImageSummary } from '../engine-types.js';
import { ago, humanSize, shortId, table } from './format.js';

export async function listImages(client: EngineClient, options: { quiet: boolean; all: boolean }, nowMs = Date.now()): Promise<string> {
  const images = await client.json<ImageSummary[]>('GET', '/images/json', { query: { all: options.all } });
  return renderImages(images, options.quiet, nowMs);
}

export function renderImages(images: ImageSummary[], quiet: boolean, nowMs: number): string {
  const sorted = [...images].sort((a, b) => b.Created - a.Created);
  if (quiet) return [...new Set(sorted.map((image) => shortId(image.Id)))].map((id) => `${id}\n`).join('');
  const rows = sorted.flatMap((image) => {
    const tags = image.RepoTags?.filter((tag) => tag !== '<none>:<none>') ?? [];
    const pairs = tags.length > 0 ? tags.map(splitTag) : [[(image.RepoDigests?.[0] ?? '<none>@').split('@')[0]!, '<none>'] as [string, string]];
    return pairs.map(([repository, tag]) => [repository, tag, shortId(image.Id), ago(image.Created, nowMs), humanSize(image.Size)]);
  });
  return table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows);
}

function splitTag(repoTag: string): [string, string] {
  const colon = repoTag.lastIndexOf(':');
  return colon > repoTag.lastIndexOf('/') ? [repoTag.slice(0, colon), repoTag.slice(colon + 1)] : [repoTag, '<none>'];
}
