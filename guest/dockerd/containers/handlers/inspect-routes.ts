/** GET /containers/json (ps), GET /containers/{id}/json (inspect). */
import { sendJson } from '../../error-table.js';
import { FilterArgs } from '../../http/filters.js';
import { queryBool } from '../../http/json-body.js';
import type { Router } from '../../router.js';
import type { ExecStore } from '../exec/exec-store.js';
import type { ContainerService } from '../service/container-service.js';
import { containerSizes } from '../service/sizes.js';
import { inspectView, summaryView } from './inspect-view.js';
import { filterContainers, LIST_FILTERS } from './list-filter.js';

export interface ImageLookup {
  idOf(reference: string): Promise<string | undefined>;
}

export function addInspectRoutes(router: Router, service: ContainerService, execs: ExecStore, images: ImageLookup): void {
  router.add('GET', '/containers/json', async (req, res) => {
    const filters = FilterArgs.parse(req.query.get('filters'), LIST_FILTERS);
    const ancestors = new Map<string, string | undefined>();
    for (const a of filters.get('ancestor')) ancestors.set(a, await images.idOf(a));
    const limit = Number(req.query.get('limit') ?? 0);
    const records = filterContainers(service.store.all(), {
      all: queryBool(req.query, 'all'),
      limit: Number.isInteger(limit) && limit > 0 ? limit : 0,
      filters,
      imageIdOf: (ref) => ancestors.get(ref),
      find: (idOrName) => service.store.tryFind(idOrName),
    });
    const withSize = queryBool(req.query, 'size');
    const networking = service.deps.networking();
    const out = [];
    for (const record of records) {
      out.push(summaryView(record, networking?.settings(record.ID), withSize ? await containerSizes(service, record) : undefined));
    }
    sendJson(res, 200, out);
  });

  router.add('GET', '/containers/{id}/json', async (req, res) => {
    const record = service.find(req.params.id!);
    const sizes = queryBool(req.query, 'size') ? await containerSizes(service, record) : undefined;
    sendJson(res, 200, inspectView(record, service.deps.networking()?.settings(record.ID), execs.ofContainer(record.ID), sizes));
  });
}
