/** POST /containers/prune: removes stopped containers (filters until, label, label!). */
import { sendJson } from '../../error-table.js';
import { FilterArgs } from '../../http/filters.js';
import type { Router } from '../../router.js';
import { parseLogTime } from '../io/log-reader.js';
import type { ContainerService } from '../service/container-service.js';
import { removeContainer } from '../service/remove.js';
import { containerSizes } from '../service/sizes.js';

export function addPruneRoutes(router: Router, service: ContainerService): void {
  router.add('POST', '/containers/prune', async (req, res) => {
    const filters = FilterArgs.parse(req.query.get('filters'), ['until', 'label', 'label!']);
    const until = filters.get('until').map((v) => parseLogTime(v, 'until') / 1_000_000n);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const record of service.store.all()) {
      if (record.State.Running || record.State.Restarting) continue;
      if (!filters.matchesLabels(record.Config.Labels)) continue;
      if (until.some((ms) => BigInt(Date.parse(record.Created)) >= ms)) continue;
      const size = (await containerSizes(service, record)).rw;
      await removeContainer(service, record, { force: false, volumes: false }).catch(() => undefined);
      if (!service.store.get(record.ID)) {
        deleted.push(record.ID);
        reclaimed += size;
      }
    }
    service.deps.publish({ type: 'container', action: 'prune', actor: '', attributes: { reclaimed: String(reclaimed) } });
    sendJson(res, 200, { ContainersDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed });
  });
}
