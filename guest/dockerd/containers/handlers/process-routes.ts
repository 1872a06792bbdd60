/** top, stats and update: looking at and changing a running container's processes and limits. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TsdError } from '../../../api/errors.js';
import { sendJson } from '../../error-table.js';
import { queryBool, readJson } from '../../http/json-body.js';
import type { Router } from '../../router.js';
import type { HostConfig } from '../docker-types.js';
import type { ContainerService } from '../service/container-service.js';
import { statsSample, type StatsSample } from '../service/stats.js';
import { linuxResources, validateResources } from '../spec/resources.js';
import { validateHostConfig } from '../spec/host-defaults.js';

const run = promisify(execFile);
const UPDATABLE = ['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'PidsLimit', 'BlkioWeight', 'RestartPolicy'] as const;

export function addProcessRoutes(router: Router, service: ContainerService): void {
  router.add('GET', '/containers/{id}/top', async (req, res) => {
    const record = service.find(req.params.id!);
    if (!record.State.Running) throw new TsdError('conflict', `container ${record.ID} is not running`);
    if (record.State.Restarting) throw new TsdError('conflict', `container ${record.ID} is restarting, wait until the container is running`);
    const pids = new Set(await service.deps.containerd.tasks.listPids(record.ID));
    const args = (req.query.get('ps_args') || '-ef').split(/\s+/).filter(Boolean);
    const { stdout } = await run('ps', args).catch((error: Error & { stderr?: string }) => {
      throw new TsdError('internal', `ps: ${error.stderr?.trim() || error.message}`);
    });
    const lines = stdout.trimEnd().split('\n');
    const titles = lines[0]!.trim().split(/\s+/);
    const pidColumn = titles.indexOf('PID');
    if (pidColumn < 0) throw new TsdError('internal', `Couldn't find PID field in ps output`);
    const processes = lines.slice(1).map((line) => {
      const fields = line.trim().split(/\s+/);
      // The last column (the command) may contain spaces.
      return [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    }).filter((fields) => pids.has(Number(fields[pidColumn])));
    sendJson(res, 200, { Titles: titles, Processes: processes });
  });

  router.add('GET', '/containers/{id}/stats', async (req, res) => {
    const record = service.find(req.params.id!);
    const stream = queryBool(req.query, 'stream', true) && !queryBool(req.query, 'one-shot');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    let previous: StatsSample | undefined;
    if (!stream) {
      res.end(JSON.stringify(await statsSample(service, record)) + '\n');
      return;
    }
    let closed = false;
    res.on('close', () => (closed = true));
    while (!closed) {
      previous = await statsSample(service, record, previous);
      res.write(JSON.stringify(previous) + '\n');
      if (!record.State.Running) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    res.end();
  });

  router.add('POST', '/containers/{id}/update', async (req, res) => {
    const record = service.find(req.params.id!);
    const body = (await readJson<HostConfig>(req.raw)) ?? {};
    const next: HostConfig = { ...record.HostConfig };
    for (const key of UPDATABLE) if (body[key] !== undefined) (next as Record<string, unknown>)[key] = body[key];
    if (body.Memory && body.MemorySwap === undefined && (record.HostConfig.MemorySwap ?? 0) > 0 && record.HostConfig.MemorySwap! < body.Memory) next.MemorySwap = body.Memory * 2;
    validateResources(next, service.deps.cpuCount);
    validateHostConfig(next);
    if (record.State.Running) await service.deps.containerd.tasks.update(record.ID, linuxResources(next));
    record.HostConfig = next;
    await service.save(record);
    service.event(record, 'update');
    sendJson(res, 200, { Warnings: [] });
  });
}
