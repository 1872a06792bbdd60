/** Routes that change a container's life: create, start, stop, restart, kill, wait, rm, rename, pause. */
import type { ServerResponse } from 'node:http';
import { TsdError } from '../../../api/errors.js';
import { sendJson } from '../../error-table.js';
import { queryBool, readJson } from '../../http/json-body.js';
import type { Router } from '../../router.js';
import type { CreateContainerBody } from '../docker-types.js';
import type { ContainerService } from '../service/container-service.js';
import { removeContainer } from '../service/remove.js';
import { startContainer } from '../service/run.js';
import { killContainer, parseWaitCondition, pauseContainer, stopContainer, unpauseContainer, waitFor } from '../service/stop.js';
import { checkCreateBody } from './create-shape.js';

function noContent(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

function timeoutParam(query: URLSearchParams): number | undefined {
  const t = query.get('t');
  if (t === null || t === '') return undefined;
  const n = Number(t);
  if (!Number.isInteger(n)) throw new TsdError('invalid-argument', `invalid value for t: ${t}`);
  return n;
}

export function addLifecycleRoutes(router: Router, service: ContainerService): void {
  router.add('POST', '/containers/create', async (req, res) => {
    const body = await readJson<CreateContainerBody>(req.raw);
    checkCreateBody(body);
    sendJson(res, 201, await service.create(body, req.query.get('name')));
  });

  router.add('POST', '/containers/{id}/start', async (req, res) => {
    const record = service.find(req.params.id!);
    if (record.State.Running) return noContent(res, 304);
    try {
      await startContainer(service, record);
    } catch (error) {
      // A container that cannot start and would be removed at exit is removed now (Docker does the same).
      if (record.HostConfig.AutoRemove) await removeContainer(service, record, { force: true, volumes: true }).catch(() => undefined);
      throw error;
    }
    noContent(res);
  });

  router.add('POST', '/containers/{id}/stop', async (req, res) => {
    const record = service.find(req.params.id!);
    const stopped = await stopContainer(service, record, { signal: req.query.get('signal') ?? undefined, timeout: timeoutParam(req.query) });
    noContent(res, stopped ? 204 : 304);
  });

  router.add('POST', '/containers/{id}/restart', async (req, res) => {
    const record = service.find(req.params.id!);
    await stopContainer(service, record, { signal: req.query.get('signal') ?? undefined, timeout: timeoutParam(req.query) });
    await startContainer(service, record);
    service.event(record, 'restart');
    noContent(res);
  });

  router.add('POST', '/containers/{id}/kill', async (req, res) => {
    await killContainer(service, service.find(req.params.id!), req.query.get('signal'));
    noContent(res);
  });

  router.add('POST', '/containers/{id}/wait', async (req, res) => {
    const record = service.find(req.params.id!);
    // Registered before any await, so a start served right after cannot slip past it.
    const result = waitFor(service, record, parseWaitCondition(req.query.get('condition')));
    // Headers go out now (Docker does the same) so the client knows the wait is in place.
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    res.end(JSON.stringify(await result) + '\n');
  });

  router.add('DELETE', '/containers/{id}', async (req, res) => {
    const record = service.find(req.params.id!);
    await removeContainer(service, record, { force: queryBool(req.query, 'force'), volumes: queryBool(req.query, 'v') });
    noContent(res);
  });

  router.add('POST', '/containers/{id}/rename', async (req, res) => {
    await service.rename(req.params.id!, req.query.get('name') ?? '');
    noContent(res);
  });

  router.add('POST', '/containers/{id}/pause', async (req, res) => {
    await pauseContainer(service, service.find(req.params.id!));
    noContent(res);
  });

  router.add('POST', '/containers/{id}/unpause', async (req, res) => {
    await unpauseContainer(service, service.find(req.params.id!));
    noContent(res);
  });
}
