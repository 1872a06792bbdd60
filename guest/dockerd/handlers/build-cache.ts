/**
 * The build cache endpoints `docker system prune` and `docker builder prune` call. This engine
 * has no builder, so there is never a cache: prune answers that nothing was deleted, truthfully.
 */
import type { EngineContext } from '../engine-context.js';
import { sendJson } from '../error-table.js';
import { FilterArgs } from '../http/filters.js';
import type { Router } from '../router.js';

export function addBuildCacheRoutes(router: Router, _ctx: EngineContext): void {
  router.add('POST', '/build/prune', (req, res) => {
    FilterArgs.parse(req.query.get('filters'), ['until', 'id', 'parent', 'type', 'description', 'inuse', 'shared', 'private']);
    sendJson(res, 200, { CachesDeleted: null, SpaceReclaimed: 0 });
  });
}
