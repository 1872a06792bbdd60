/** `tsd ps`: GET /containers/json as docker's table, `-q` ids, or `--format json` one object a line. */
import type { EngineClient } from '../engine-client.js';
import type { ContainerSummary } from '../engine-types.js';
import { ago, formatPorts, shortId, table, truncateCommand } from './format.js';

export interface PsOptions {
  all: boolean;
  quiet: boolean;
  format: 'table' | 'json';
  noTrunc: boolean;
}

export async function listContainers(client: EngineClient, options: PsOptions, nowMs = Date.now()): Promise<string> {
  const containers = await client.json<ContainerSummary[]>('GET', '/containers/json', { query: { all: options.all } });
  return renderContainers(containers, options, nowMs);
}

export function renderContainers(containers: ContainerSummary[], options: PsOptions, nowMs: number): string {
  const id = (c: ContainerSummary) => (options.noTrunc ? c.Id : shortId(c.Id));
  if (options.quiet) return containers.map((c) => `${id(c)}\n`).join('');
  if (options.format === 'json') return containers.map((c) => `${JSON.stringify(jsonRow(c, id(c), nowMs))}\n`).join('');
  return table(
    ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
    containers.map((c) => [id(c), c.Image, options.noTrunc ? `"${c.Command}"` : truncateCommand(c.Command), ago(c.Created, nowMs), c.Status, formatPorts(c.Ports), names(c)]),
  );
}

function names(c: ContainerSummary): string {
  return c.Names.map((name) => name.replace(/^\//, '')).join(',');
}

/** The fields of `docker ps --format json`. */
function jsonRow(c: ContainerSummary, id: string, nowMs: number): Record<string, string> {
  return {
    Command: `"${c.Command}"`,
    CreatedAt: new Date(c.Created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
    ID: id,
    Image: c.Image,
    Labels: Object.entries(c.Labels ?? {}).map(([key, value]) => `${key}=${value}`).join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((mount) => mount.Type === 'volume').length),
    Mounts: (c.Mounts ?? []).map((mount) => mount.Name ?? mount.Source ?? '').join(','),
    Names: names(c),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    Ports: formatPorts(c.Ports),
    RunningFor: ago(c.Created, nowMs),
    State: c.State,
    Status: c.Status,
  };
}
