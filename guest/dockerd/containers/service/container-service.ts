/**
 * The containers of one engine: create, remove, rename and lookups here; running them in
 * run.ts, stopping in stop.ts, live restore in restore.ts. State changes are saved before they
 * are announced (events), so a crash never leaves an event for a state that was not written.
 */
import { randomBytes } from 'node:crypto';
import { TsdError } from '../../../api/errors.js';
import type { ContainerNetworkSpec } from '../../network/api.js';
import type { CreateContainerBody } from '../docker-types.js';
import { withHostDefaults, validateHostConfig } from '../spec/host-defaults.js';
import { validateLogOptions } from '../io/log-attrs.js';
import { mergeDaemonLogConfig } from '../io/log-options.js';
import { deviceCgroupRules, normalizeDevices } from '../spec/devices.js';
import { plannedMounts } from '../spec/mounts.js';
import { containerArgs, mergeImageConfig } from '../spec/process-args.js';
import { validateResources } from '../spec/resources.js';
import { parseSecurityOpts } from '../spec/security-opt.js';
import { resolveCapabilities } from '../spec/capabilities.js';
import { dockerTime, initialState, type ContainerRecord } from '../store/container-record.js';
import { ContainerStore } from '../store/container-store.js';
import { generateName, normalizeName } from '../store/names.js';
import type { MountMessage } from '../../containerd/types.js';
import type { ContainerDeps } from './deps.js';
import { findVolumesFromSources, volumesFromMounts } from './volumes-from.js';
import { prepareCreateFilesystem } from './start-rootfs.js';
import { LiveContainer } from './live-container.js';
import { join } from 'node:path';

export class ContainerService {
  readonly #live = new Map<string, LiveContainer>();

  constructor(readonly store: ContainerStore, readonly deps: ContainerDeps) {}

  live(id: string): LiveContainer {
    let live = this.#live.get(id);
    if (!live) {
      live = new LiveContainer(id);
      this.#live.set(id, live);
    }
    return live;
  }

  forget(id: string): void {
    this.#live.delete(id);
  }

  find(idOrName: string): ContainerRecord {
    return this.store.find(idOrName);
  }

  async save(record: ContainerRecord): Promise<void> {
    await this.store.save(record);
  }

  event(record: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    const attributes: Record<string, string> = { ...(record.Config.Labels ?? {}), image: record.Config.Image ?? '', name: record.Name.slice(1), ...extra };
    this.deps.publish({ type: 'container', action, actor: record.ID, attributes });
  }

  async create(body: CreateContainerBody, requestedName: string | null): Promise<{ Id: string; Warnings: string[] }> {
    if (!body || typeof body !== 'object') throw new TsdError('invalid-argument', 'config cannot be empty in order to create a container');
    if (!body.Image || typeof body.Image !== 'string') throw new TsdError('invalid-argument', 'image name must not be empty');
    const name = requestedName ? normalizeName(requestedName) : generateName((n) => this.store.nameTaken(n));
    const host = withHostDefaults(body.HostConfig);
    host.LogConfig = mergeDaemonLogConfig(body.HostConfig?.LogConfig, this.deps.logDefaults?.() ?? { driver: 'json-file', options: {} });
    validateHostConfig(host);
    validateLogOptions(host.LogConfig?.Type ?? 'json-file', host.LogConfig?.Config ?? {});
    validateResources(host, this.deps.cpuCount);
    parseSecurityOpts(host.SecurityOpt ?? []);
    resolveCapabilities(host.CapAdd ?? [], host.CapDrop ?? [], !!host.Privileged);
    const mounts = plannedMounts(host);
    if (host.Devices) host.Devices = normalizeDevices(host);
    deviceCgroupRules(host.DeviceCgroupRules ?? []);
    const volumesFrom = findVolumesFromSources(this, host.VolumesFrom ?? []);
    const { HostConfig: _host, NetworkingConfig: networking, ...requestConfig } = body;
    const id = randomBytes(32).toString('hex');
    this.store.reserveName(name, id);
    try {
      const image = await this.deps.images.forContainerDeferred(body.Image);
      const config = mergeImageConfig(requestConfig, image.config.config);
      config.Image = body.Image;
      if (!config.Hostname) config.Hostname = id.slice(0, 12);
      const args = containerArgs(config);
      const inheritedMounts = await volumesFromMounts(this, volumesFrom);
      // Image VOLUMEs not covered by a user or inherited mount become anonymous volumes, as in Docker.
      const covered = new Set([...mounts, ...inheritedMounts].map((m) => m.destination));
      const anonymous = Object.keys(config.Volumes ?? {}).filter((dest) => !covered.has(dest));
      if (anonymous.length > 0) host.Binds = [...(host.Binds ?? []), ...anonymous];
      const dir = this.store.dir(id);
      const record: ContainerRecord = {
        ID: id,
        Created: dockerTime(),
        Path: args[0]!,
        Args: args.slice(1),
        State: initialState(),
        Image: image.id,
        Name: name,
        RestartCount: 0,
        Driver: image.snapshotter,
        Platform: 'linux',
        MountLabel: '',
        ProcessLabel: '',
        AppArmorProfile: '',
        ResolvConfPath: join(dir, 'resolv.conf'),
        HostnamePath: join(dir, 'hostname'),
        HostsPath: join(dir, 'hosts'),
        LogPath: host.LogConfig?.Type === 'none' ? '' : join(dir, `${id}-json.log`),
        Config: config,
        HostConfig: host,
        Mounts: [],
        Internal: { snapshotKey: id, snapshotter: image.snapshotter, runtime: this.deps.runtime.runtime, manuallyStopped: false, hasBeenStarted: false, anonymousVolumes: [], inheritedMounts },
      };
      // The rootfs and the network record do not depend on each other: both are made at once
      // (two round trips in parallel), and the record is saved only once both exist.
      const rootfs = async (): Promise<void> => {
        const rootfsMounts = await this.prepareSnapshot(id, image);
        // As Docker at create: WorkingDir made, mount points registered (volumes created and filled).
        record.Mounts = await prepareCreateFilesystem(this, record, rootfsMounts, this.deps.execRoot);
      };
      const network = async (): Promise<void> => {
        await this.deps.networking()?.prepare(id, this.networkSpec(record, endpointsFor(host.NetworkMode ?? 'bridge', networking?.EndpointsConfig)));
      };
      await allSettledOrThrow([rootfs(), network()]);
      await this.save(record);
      // Nothing in containerd has this ID until a start: rm can skip deleting a task and container.
      this.live(id).containerdClean = true;
      this.event(record, 'create');
      return { Id: id, Warnings: [] };
    } catch (error) {
      this.store.releaseName(name, id);
      await this.deps.networking()?.release(id).catch(() => undefined);
      await this.deps.containerd.snapshots.remove(id).catch(() => undefined);
      throw error;
    }
  }

  /**
   * The container's snapshot on the image's top layer. Its Prepare is also the unpack check: it
   * finds the parent only when the layers are unpacked (the usual case: only the config's GC label
   * is checked, beside it). When it finds no parent, the image is unpacked and it is tried again.
   */
  private async prepareSnapshot(id: string, image: { chainId: string; unpack(): Promise<void>; label(): Promise<void> }): Promise<MountMessage[]> {
    const prepare = (): Promise<MountMessage[]> => this.deps.containerd.snapshots.prepare(id, image.chainId, { 'containerd.io/gc.root': dockerTime() });
    const [labelled, prepared] = await Promise.allSettled([image.label(), prepare()]);
    if (prepared.status === 'fulfilled') {
      if (labelled.status === 'rejected') throw labelled.reason; // the snapshot is removed by create's cleanup
      return prepared.value;
    }
    if ((prepared.reason as TsdError).code !== 'not-found') throw prepared.reason;
    await image.unpack();
    return await prepare();
  }

  networkSpec(record: ContainerRecord, endpoints?: Record<string, unknown>): ContainerNetworkSpec {
    const host = record.HostConfig;
    return {
      name: record.Name.slice(1),
      hostname: record.Config.Hostname,
      domainname: record.Config.Domainname,
      networkMode: host.NetworkMode ?? 'bridge',
      endpoints: endpoints as ContainerNetworkSpec['endpoints'],
      portBindings: (host.PortBindings ?? undefined) as ContainerNetworkSpec['portBindings'],
      publishAll: host.PublishAllPorts,
      exposedPorts: Object.keys(record.Config.ExposedPorts ?? {}),
      dns: host.Dns ?? undefined,
      dnsSearch: host.DnsSearch ?? undefined,
      dnsOptions: host.DnsOptions ?? undefined,
      extraHosts: host.ExtraHosts ?? undefined,
    };
  }

  async rename(idOrName: string, newName: string): Promise<void> {
    const record = this.find(idOrName);
    if (!newName) throw new TsdError('invalid-argument', 'Neither old nor new names may be empty');
    const name = normalizeName(newName);
    if (name === record.Name) throw new TsdError('invalid-argument', 'Renaming a container with the same name as its current name');
    this.store.reserveName(name, record.ID);
    const old = record.Name;
    record.Name = name;
    try {
      await this.save(record);
    } catch (error) {
      record.Name = old;
      this.store.releaseName(name, record.ID);
      throw error;
    }
    this.store.releaseName(old, record.ID);
    this.event(record, 'rename', { oldName: old });
  }
}

/**
 * Waits for every promise, then throws the first failure in list order (as the same steps run one
 * after another would have): the caller's cleanup must not start while one of them still runs.
 */
async function allSettledOrThrow(work: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The CLI names the default network "default" in EndpointsConfig; Docker reads it as the bridge. */
function endpointsFor(mode: string, endpoints: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!endpoints) return undefined;
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(endpoints)) result[name === 'default' ? mode : name] = value;
  return result;
}
