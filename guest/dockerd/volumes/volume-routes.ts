/**
 * The /volumes endpoints (list, create, inspect, remove, prune) and the wiring: addVolumeRoutes
 * registers the routes and gives the container module its VolumeMounts (ctx.volumeMounts) and
 * /system/df its view (ctx.volumes). It must run before addContainerRoutes.
 */
import { spawn } from 'node:child_process';
import { chmod, chown, readdir, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { TsdError } from '../../api/errors.js';
import type { EngineContext } from '../engine-context.js';
import { sendJson } from '../error-table.js';
import { FilterArgs } from '../http/filters.js';
import { checkShape, queryBool, readJson } from '../http/json-body.js';
import type { ApiRequest, Router } from '../router.js';
import { systemBinary } from '../network/sys/run.js';
import { volumeJson, type VolumeRecord } from './volume-record.js';
import { VolumeStore, type CreateVolumeRequest } from './volume-store.js';

/** What the container module calls (containers/service/deps.ts VolumeMounts, plus forget). */
export interface VolumeMountsImpl {
  /**
   * `copyFrom`: the image's directory at the mount destination; its content is copied into the
   * volume when the volume is empty (Docker's copy-up; skip it for VolumeOptions.NoCopy / `nocopy`).
   */
  mount(name: string, containerId: string, options?: { copyFrom?: string }): Promise<{ name: string; path: string }>;
  /**
   * At container create: created when missing (a 'create' event then) and referenced, not mounted;
   * `copyFrom` as for mount (Docker copies the image's content into a new volume at create).
   */
  reserve?(name: string, containerId: string, options?: { copyFrom?: string }): Promise<{ name: string; path: string }>;
  remove(names: string[]): Promise<void>;
  /** At container removal: the container no longer holds its volumes. */
  forget(containerId: string): Promise<void>;
}

export function addVolumeRoutes(router: Router, ctx: EngineContext): VolumeStore {
  const store = new VolumeStore(ctx.config.dataRoot);
  let loaded: Promise<void> | undefined;
  const ready = async (): Promise<VolumeStore> => {
    loaded ??= store.load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    await loaded;
    return store;
  };
  const event = (action: string, name: string, attributes: Record<string, string> = {}): void => {
    ctx.events.publish({ type: 'volume', action, actor: name, attributes: { driver: 'local', ...attributes } });
  };

  router.add('GET', '/volumes', async (req, res) => {
    const volumes = await ready();
    const filters = FilterArgs.parse(req.query.get('filters'), ['dangling', 'driver', 'label', 'label!', 'name']);
    const list = volumes.all().filter((record) => matches(volumes, record, filters));
    sendJson(res, 200, { Volumes: list.map((record) => volumeJson(record)), Warnings: null });
  });
  router.add('POST', '/volumes/create', async (req, res) => {
    const volumes = await ready();
    const body = (await readJson<CreateVolumeRequest>(req.raw, { optional: true })) ?? {};
    checkShape(body, { name: 'CreateOptions', fields: { Name: 'string', Driver: 'string', DriverOpts: 'map[string]string', Labels: 'map[string]string', ClusterVolumeSpec: 'object' } });
    if (typeof body !== 'object' || Array.isArray(body)) throw new TsdError('invalid-argument', 'invalid JSON: expected an object');
    const existed = body.Name ? volumes.all().some((record) => record.Name === body.Name) : false;
    const record = await volumes.create(body);
    if (!existed) event('create', record.Name);
    sendJson(res, 201, volumeJson(record));
  });
  router.add('POST', '/volumes/prune', async (req, res) => sendJson(res, 200, await prune(await ready(), req, event)));
  router.add('GET', '/volumes/{name}', async (req, res) => {
    sendJson(res, 200, volumeJson((await ready()).get(req.params.name!)));
  });
  router.add('DELETE', '/volumes/{name}', async (req, res) => {
    const volumes = await ready();
    const name = req.params.name!;
    const existed = volumes.all().some((record) => record.Name === name);
    await volumes.remove(name, queryBool(req.query, 'force'));
    if (existed) event('destroy', name);
    noContent(res);
  });

  const mounts: VolumeMountsImpl = {
    async mount(name, containerId, options) {
      const record = await (await ready()).use(name, containerId);
      if (options?.copyFrom) await copyUp(options.copyFrom, record.Mountpoint);
      event('mount', record.Name, { container: containerId });
      return { name: record.Name, path: record.Mountpoint };
    },
    async reserve(name, containerId, options) {
      const volumes = await ready();
      const existed = name !== '' && volumes.all().some((record) => record.Name === name);
      const record = await volumes.use(name, containerId);
      if (!existed) event('create', record.Name);
      if (options?.copyFrom) await copyUp(options.copyFrom, record.Mountpoint);
      return { name: record.Name, path: record.Mountpoint };
    },
    async remove(names) {
      const volumes = await ready();
      for (const name of names) {
        if (volumes.usersOf(name).length > 0) continue;
        await volumes.remove(name, true).then(() => event('destroy', name), () => undefined);
      }
    },
    async forget(containerId) {
      await (await ready()).forget(containerId);
    },
  };
  const optional = ctx as EngineContext & { volumeMounts?: VolumeMountsImpl };
  optional.volumeMounts = mounts;
  ctx.volumes = {
    async diskUsage() {
      const volumes = await ready();
      return await Promise.all(volumes.all().map(async (record) => volumeJson(record, { size: await volumes.size(record), refCount: volumes.usersOf(record.Name).length })));
    },
  };
  return store;
}

function matches(volumes: VolumeStore, record: VolumeRecord, filters: FilterArgs): boolean {
  const names = filters.get('name');
  if (names.length && !names.some((name) => record.Name.includes(name))) return false;
  if (!filters.matches('driver', record.Driver)) return false;
  if (!filters.matchesLabels(record.Labels)) return false;
  const dangling = filters.boolean('dangling');
  if (dangling !== undefined && dangling !== (volumes.usersOf(record.Name).length === 0)) return false;
  return true;
}

async function prune(volumes: VolumeStore, req: ApiRequest, event: (action: string, name: string) => void): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
  const filters = FilterArgs.parse(req.query.get('filters'), ['label', 'label!', 'all']);
  // API 1.42 made prune remove only anonymous volumes unless all=true.
  const onlyAnonymous = req.apiVersion.major === 1 && req.apiVersion.minor >= 42 && filters.boolean('all') !== true;
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const record of volumes.all()) {
    if (onlyAnonymous && !record.Anonymous) continue;
    if (!filters.matchesLabels(record.Labels) || volumes.usersOf(record.Name).length > 0) continue;
    const size = await volumes.size(record);
    await volumes.remove(record.Name);
    event('destroy', record.Name);
    deleted.push(record.Name);
    reclaimed += size;
  }
  return { VolumesDeleted: deleted, SpaceReclaimed: reclaimed };
}

/** Copies the image's content into an empty volume, keeping owners, modes and times (cp -a). */
async function copyUp(source: string, volumePath: string): Promise<void> {
  const info = await stat(source).catch(() => undefined);
  if (!info?.isDirectory() || (await readdir(volumePath)).length > 0) return;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(systemBinary('cp'), ['-a', `${source}/.`, `${volumePath}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new TsdError('internal', `copying ${source} into the volume failed: ${stderr.trim()}`))));
  });
  // The volume's root takes the image directory's owner and mode, like Docker.
  await chown(volumePath, info.uid, info.gid);
  await chmod(volumePath, info.mode & 0o7777);
}

function noContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}
