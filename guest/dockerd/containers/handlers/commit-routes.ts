/** POST /commit: a new image from a container's changes. */
import { TsdError } from '../../../api/errors.js';
import type { EngineContext } from '../../engine-context.js';
import { sendJson } from '../../error-table.js';
import { queryBool, readJson } from '../../http/json-body.js';
import type { Router } from '../../router.js';
import type { ContainerConfig } from '../docker-types.js';
import { commitContainer, commitName } from '../service/commit.js';
import type { ContainerService } from '../service/container-service.js';

export function addCommitRoutes(router: Router, service: ContainerService, ctx: EngineContext): void {
  router.add('POST', '/commit', async (req, res) => {
    const config = await readJson<ContainerConfig>(req.raw, { optional: true });
    commitName({ repo: req.query.get('repo') ?? '', tag: req.query.get('tag') ?? '' }); // a bad name is 400 before the container is looked up
    const name = req.query.get('container') ?? '';
    if (!name) throw new TsdError('invalid-argument', 'container is required');
    const record = service.find(name);
    const id = await commitContainer(service, ctx, record, {
      repo: req.query.get('repo') ?? '',
      tag: req.query.get('tag') ?? '',
      comment: req.query.get('comment') ?? '',
      author: req.query.get('author') ?? '',
      pause: queryBool(req.query, 'pause', true),
      changes: req.query.getAll('changes'),
      config: config ?? undefined,
    });
    sendJson(res, 201, { Id: id });
  });
}
