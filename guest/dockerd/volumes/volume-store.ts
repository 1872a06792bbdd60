/**
 * The local volume driver: create, find, list, remove volumes and remember which containers use
 * them (refs under DATA_ROOT/volumes/_refs/<container>.json, so "volume is in use" survives an
 * engine restart). A ref whose container directory is gone is stale and ignored.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../api/errors.js';
import { JsonDir } from '../network/json-dir.js';
import { checkVolumeName, type VolumeRecord } from './volume-record.js';

export interface CreateVolumeRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export class VolumeStore {
  private readonly meta: JsonDir<VolumeRecord>;
  private readonly refs: JsonDir<string[]>;
  private volumes = new Map<string, VolumeRecord>();
  private used = new Map<string, string[]>(); // container id → volume names
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataRoot: string) {
    this.meta = new JsonDir(join(dataRoot, 'volumes', '_meta'));
    this.refs = new JsonDir(join(dataRoot, 'volumes', '_refs'));
  }

  async load(): Promise<void> {
    this.volumes = await this.meta.loadAll();
    this.used = await this.refs.loadAll();
  }

  all(): VolumeRecord[] {
    return [...this.volumes.values()];
  }

  get(name: string): VolumeRecord {
    const record = this.volumes.get(name);
    if (!record) throw new TsdError('not-found', `get ${name}: no such volume`);
    return record;
  }

  /** Docker's create is idempotent for an existing name with the same driver. */
  create(request: CreateVolumeRequest, anonymous = false): Promise<VolumeRecord> {
    return this.locked(async () => {
      const name = request.Name ? checkVolumeName(request.Name) : randomBytes(32).toString('hex');
      const driver = request.Driver || 'local';
      if (driver !== 'local') throw new TsdError('not-found', `error looking up volume plugin ${driver}: plugin "${driver}" not found`);
      const options = request.DriverOpts ?? {};
      if (Object.keys(options).length > 0) {
        throw new TsdError('unsupported', `create ${name}: local driver options (${Object.keys(options).join(', ')}) are not supported by this engine`);
      }
      const existing = this.volumes.get(name);
      if (existing) return existing;
      const dir = join(this.dataRoot, 'volumes', name);
      const record: VolumeRecord = {
        Name: name,
        Driver: 'local',
        Mountpoint: join(dir, '_data'),
        CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        Labels: request.Labels ?? {},
        Options: options,
        Scope: 'local',
        Anonymous: anonymous,
      };
      await mkdir(record.Mountpoint, { recursive: true, mode: 0o755 });
      await this.meta.put(name, record);
      this.volumes.set(name, record);
      return record;
    });
  }

  /** Containers (that still exist) using the volume. */
  usersOf(name: string): string[] {
    const users: string[] = [];
    for (const [containerId, names] of this.used) {
      if (names.includes(name) && existsSync(join(this.dataRoot, 'containers', containerId))) users.push(containerId);
    }
    return users;
  }

  remove(name: string, force = false): Promise<void> {
    return this.locked(async () => {
      const record = this.volumes.get(name);
      if (!record) {
        if (force) return;
        throw new TsdError('not-found', `get ${name}: no such volume`);
      }
      const users = this.usersOf(name);
      if (users.length > 0) throw new TsdError('conflict', `remove ${name}: volume is in use - [${users.join(', ')}]`);
      await this.meta.delete(name);
      this.volumes.delete(name);
      await rm(join(this.dataRoot, 'volumes', name), { recursive: true, force: true });
    });
  }

  /** Records that a container uses a volume (created if missing; '' makes an anonymous one). */
  use(name: string, containerId: string): Promise<VolumeRecord> {
    return (async () => {
      const record = name ? this.volumes.get(name) ?? (await this.create({ Name: name })) : await this.create({}, true);
      await this.locked(async () => {
        const names = this.used.get(containerId) ?? [];
        if (!names.includes(record.Name)) {
          names.push(record.Name);
          this.used.set(containerId, names);
          await this.refs.put(containerId, names);
        }
      });
      return record;
    })();
  }

  /** The container is removed: its refs go. */
  forget(containerId: string): Promise<void> {
    return this.locked(async () => {
      // `used` mirrors the refs files (loaded from them, set before each write): no entry, no file.
      if (!this.used.delete(containerId)) return;
      await this.refs.delete(containerId);
    });
  }

  /** Bytes under the volume's data (for /system/df). */
  async size(record: VolumeRecord): Promise<number> {
    return await diskUsage(record.Mountpoint);
  }

  private locked<T>(step: () => Promise<T>): Promise<T> {
    const next = this.lock.then(step, step);
    this.lock = next.catch(() => undefined);
    return next;
  }
}

async function diskUsage(path: string): Promise<number> {
  const stat = await lstat(path).catch(() => undefined);
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.blocks * 512;
  let total = 0;
  for (const entry of await readdir(path)) total += await diskUsage(join(path, entry));
  return total;
}
