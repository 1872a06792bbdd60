/**
 * GET /system/df: disk usage by images (sizes from the snapshots, shared layers counted once in
 * LayersSize), containers and volumes (from their modules' views when registered), build cache
 * (none: this engine has no builder cache).
 */
import type { ServerResponse } from 'node:http';
import { TsdError } from '../../api/errors.js';
import type { EngineContext } from '../engine-context.js';
import { sendJson } from '../error-table.js';
import { imageSummary, layerUsage } from '../images/image-json.js';
import type { ApiRequest, Router } from '../router.js';

const TYPES = ['container', 'image', 'volume', 'build-cache'] as const;

export function addDiskUsageRoutes(router: Router, ctx: EngineContext): void {
  router.add('GET', '/system/df', (req, res) => diskUsage(ctx, req, res));
}

async function diskUsage(ctx: EngineContext, req: ApiRequest, res: ServerResponse): Promise<void> {
  const types = req.query.getAll('type');
  for (const type of types) {
    if (!TYPES.includes(type as (typeof TYPES)[number])) throw new TsdError('invalid-argument', `unknown object type: ${type}`);
  }
  const want = (type: (typeof TYPES)[number]): boolean => types.length === 0 || types.includes(type);
  const body: Record<string, unknown> = {};
  if (want('image')) {
    const images = await ctx.images.list();
    const layerSizes = new Map<string, number>();
    const summaries = [];
    for (const image of images) {
      const containers = ctx.containers ? (await ctx.containers.usingImage(image.id)).length : 0;
      const summary = await imageSummary(ctx.containerd, image, containers);
      let shared = 0;
      for (const chainId of image.chainIds) {
        const size = layerSizes.get(chainId) ?? (await layerUsage(ctx.containerd, chainId)) ?? 0;
        if (images.some((other) => other !== image && other.chainIds.includes(chainId))) shared += size;
        layerSizes.set(chainId, size);
      }
      summaries.push({ ...summary, SharedSize: shared });
    }
    body.LayersSize = [...layerSizes.values()].reduce((a, b) => a + b, 0);
    body.Images = summaries;
  }
  if (want('container')) body.Containers = (await ctx.containers?.diskUsage?.()) ?? [];
  if (want('volume')) body.Volumes = (await ctx.volumes?.diskUsage()) ?? [];
  if (want('build-cache')) body.BuildCache = [];
  sendJson(res, 200, body);
}
