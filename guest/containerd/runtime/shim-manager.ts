/**
 * The shim manager: one shim per task, containerd 1.6's v2 runtime. It creates bundles, starts
 * shims by their bootstrap (shim-binary.ts), keeps a ttrpc connection to each (shim-client.ts),
 * deletes them, and on start reconnects to the shims that outlived a previous daemon. A shim whose
 * connection drops is cleaned up with `shim delete`, and its task's exit is published as
 * /tasks/exit and /tasks/delete, as containerd does for a dead shim.
 */
import { TsdError } from '../../api/errors.js';
import type { AnyMessage } from '../api/event-types.js';
import { decodeEvent } from '../api/event-types.js';
import { fromTimestamp, toTimestamp } from '../api/timestamps.js';
import type { Envelope } from '../server/event-exchange.js';
import type { ContainerRecord } from '../metadata/schema.js';
import type { EventExchange } from '../server/event-exchange.js';
import { createBundle, deleteBundle, listBundles, listWorkDirs, readAddress, readShimBinaryPath, writeShimBinaryPath, type BundleRoots, type TaskBundle } from './bundle.js';
import { deleteShim, resolveShimBinary, startShim, type ShimEnvironment, type ShimExit } from './shim-binary.js';
import { ShimClient, type MountMessage } from './shim-client.js';
import { openShimLog, type ShimLog } from './shim-log.js';
import { readdir, rm } from 'node:fs/promises';

export interface ShimTask {
  readonly bundle: TaskBundle;
  /** The init process's exit once the shim has reported it (/tasks/exit). */
  readonly exit?: ShimExit | undefined;
  readonly client: ShimClient;
  /** The shim binary (for `delete` after it dies). */
  readonly binary: string;
  readonly runtime: string;
}

export interface CreateTaskOptions {
  rootfs: MountMessage[];
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  /** CreateTaskRequest.options; the container's runtime options when absent. */
  options: AnyMessage | null;
  runtimePath: string;
}

interface Entry extends ShimTask {
  log: ShimLog;
  /** The init process's exit, learnt from the shim's /tasks/exit event. */
  exit?: ShimExit;
  /** Set while containerd itself ends the shim, so its disconnect is not a death. */
  closing: boolean;
}

const log = (message: string): void => void process.stderr.write(`tsd-containerd: ${message}\n`);

export class ShimManager {
  readonly #tasks = new Map<string, Entry>();
  readonly #creating = new Set<string>();

  constructor(private readonly roots: BundleRoots, private readonly env: ShimEnvironment, private readonly events: EventExchange) {}

  get(ns: string, id: string): ShimTask {
    const entry = this.#tasks.get(key(ns, id));
    if (!entry) throw new TsdError('not-found', `task ${id} not found`);
    return entry;
  }

  has(ns: string, id: string): boolean {
    return this.#tasks.has(key(ns, id));
  }

  list(ns: string): ShimTask[] {
    return [...this.#tasks.values()].filter((entry) => entry.bundle.namespace === ns).sort((a, b) => a.bundle.id.localeCompare(b.bundle.id));
  }

  /** Bundle, shim start, shim Create; anything failing undoes what was done. */
  async create(ns: string, container: ContainerRecord, options: CreateTaskOptions): Promise<{ task: ShimTask; pid: number }> {
    const id = container.id;
    if (this.#tasks.has(key(ns, id)) || this.#creating.has(key(ns, id))) throw new TsdError('already-exists', `task ${id}`);
    this.#creating.add(key(ns, id));
    try {
      const runtime = options.runtimePath || container.runtime.name;
      const binary = resolveShimBinary(runtime, this.env);
      const bundle = await createBundle(this.roots, ns, id, Buffer.from(container.spec.value, 'base64'));
      const runtimeOptions = container.runtime.options;
      const taskOptions = options.options ?? (runtimeOptions && { type_url: runtimeOptions.typeUrl, value: Buffer.from(runtimeOptions.value, 'base64') });
      let shimLog: ShimLog | undefined;
      let entry: Entry | undefined;
      try {
        shimLog = await openShimLog(bundle);
        const address = await startShim(binary, bundle, this.env, taskOptions);
        await writeShimBinaryPath(bundle, binary);
        entry = { bundle, binary, runtime, log: shimLog, closing: false, client: await ShimClient.connect(address, ns) };
        this.#track(entry);
        const { pid } = await entry.client.call('Create', {
          id,
          bundle: bundle.path,
          rootfs: options.rootfs,
          terminal: options.terminal,
          stdin: options.stdin,
          stdout: options.stdout,
          stderr: options.stderr,
          options: taskOptions,
        });
        return { task: entry, pid };
      } catch (error) {
        await this.#abandon(bundle, binary, entry, shimLog);
        throw error;
      }
    } finally {
      this.#creating.delete(key(ns, id));
    }
  }

  /** Deletes the task's init process in the shim, then ends the shim and removes the bundle. */
  async delete(ns: string, id: string): Promise<ShimExit> {
    const entry = this.#tasks.get(key(ns, id));
    if (!entry) throw new TsdError('not-found', `task ${id} not found`);
    const response = await entry.client.call('Delete', { id });
    this.#tasks.delete(key(ns, id));
    await this.#shutdown(entry);
    await deleteBundle(entry.bundle);
    return { pid: response.pid, exitStatus: response.exitStatus, exitedAt: response.exitedAt ? new Date(response.exitedAt.seconds * 1000 + Math.floor(response.exitedAt.nanos / 1e6)) : new Date() };
  }

  /**
   * Reconnects to every shim whose bundle is on disk (restart after a crash or a stop); bundles
   * whose shim is gone are cleaned up with `shim delete` and their task's exit is published.
   */
  async loadExisting(runtimeOf: (ns: string, id: string) => string | undefined): Promise<void> {
    for (const bundle of await listBundles(this.roots)) {
      const files = await readdir(bundle.path).catch(() => [] as string[]);
      if (files.length === 0) {
        await deleteBundle(bundle).catch((error: Error) => log(`remove empty bundle ${bundle.path}: ${error.message}`));
        continue;
      }
      let binary = await readShimBinaryPath(bundle);
      if (!binary) {
        const runtime = runtimeOf(bundle.namespace, bundle.id);
        try {
          binary = runtime ? resolveShimBinary(runtime, this.env) : undefined;
        } catch {
          binary = undefined;
        }
      }
      if (!binary) {
        log(`task ${bundle.namespace}/${bundle.id}: no shim binary known, removing its bundle`);
        await deleteBundle(bundle).catch((error: Error) => log(`remove bundle ${bundle.path}: ${error.message}`));
        continue;
      }
      const shimLog = await openShimLog(bundle).catch(() => ({ close: () => undefined }));
      try {
        const client = await ShimClient.connect(await readAddress(bundle), bundle.namespace);
        const entry: Entry = { bundle, binary, runtime: binary, client, log: shimLog, closing: false };
        await client.call('State', { id: bundle.id }, { timeoutMs: 10_000 }).catch((error: unknown) => {
          client.close();
          throw error;
        });
        this.#track(entry);
      } catch (error) {
        log(`task ${bundle.namespace}/${bundle.id}: shim unreachable (${(error as Error).message}), cleaning up`);
        shimLog.close();
        await this.#cleanupDead(bundle, binary, true);
      }
    }
    // Work dirs whose task did not come back (e.g. the state dir was a tmpfs and a reboot emptied it).
    for (const { namespace, id, workPath } of await listWorkDirs(this.roots)) {
      if (!this.#tasks.has(key(namespace, id))) await rm(workPath, { recursive: true, force: true });
    }
  }

  /**
   * Sees every event a shim forwards: a /tasks/exit for a task's init process is how containerd
   * learns that the task ended (kept for a shim that dies before its exit is deleted).
   */
  observe(envelope: Envelope): void {
    if (envelope.topic !== '/tasks/exit' || !envelope.event) return;
    const exit = decodeEvent(envelope.event) as { containerId?: string; id?: string; pid?: number; exitStatus?: number; exitedAt?: { seconds: number; nanos: number } } | undefined;
    if (!exit?.containerId || exit.id !== exit.containerId) return;
    const entry = this.#tasks.get(key(envelope.namespace, exit.containerId));
    if (!entry) return;
    entry.exit = { pid: exit.pid ?? 0, exitStatus: exit.exitStatus ?? 0, exitedAt: fromTimestamp(exit.exitedAt) ?? envelope.timestamp };
  }

  /** Closes every connection without touching the shims (daemon stop: tasks keep running). */
  closeAll(): void {
    for (const entry of this.#tasks.values()) {
      entry.closing = true;
      entry.client.close();
      entry.log.close();
    }
    this.#tasks.clear();
  }

  #track(entry: Entry): void {
    const k = key(entry.bundle.namespace, entry.bundle.id);
    this.#tasks.set(k, entry);
    entry.client.onClose(() => {
      entry.log.close();
      if (entry.closing) return;
      log(`shim for ${k} disconnected`);
      const wasListed = this.#tasks.get(k) === entry;
      if (wasListed) this.#tasks.delete(k);
      void this.#cleanupDead(entry.bundle, entry.binary, wasListed, entry.exit);
    });
  }

  async #shutdown(entry: Entry): Promise<void> {
    entry.closing = true;
    await entry.client.call('Shutdown', { id: entry.bundle.id }, { timeoutMs: 10_000 }).catch(() => undefined);
    entry.client.close();
    entry.log.close();
  }

  /**
   * After a failed create: the task deleted in its shim and the shim ended when it was reached,
   * else the shim's `delete` command run; then the bundle removed.
   */
  async #abandon(bundle: TaskBundle, binary: string, entry: Entry | undefined, shimLog: ShimLog | undefined): Promise<void> {
    if (entry) {
      this.#tasks.delete(key(bundle.namespace, bundle.id));
      await entry.client.call('Delete', { id: bundle.id }, { timeoutMs: 10_000 }).catch(() => undefined);
      await this.#shutdown(entry);
    } else {
      shimLog?.close();
      await deleteShim(binary, bundle, this.env).catch(() => undefined);
    }
    await deleteBundle(bundle).catch((error: Error) => log(`remove bundle ${bundle.path}: ${error.message}`));
  }

  /** `known`: the exit the shim reported before it died; preferred to what `delete` says (it only knows what it killed). */
  async #cleanupDead(bundle: TaskBundle, binary: string, publish: boolean, known?: ShimExit): Promise<void> {
    let exit: ShimExit | undefined = known;
    try {
      const deleted = await deleteShim(binary, bundle, this.env);
      if (!known) exit = deleted;
    } catch (error) {
      log(`cleaning up dead shim ${bundle.namespace}/${bundle.id}: ${(error as Error).message}`);
    }
    await deleteBundle(bundle).catch((error: Error) => log(`remove bundle ${bundle.path}: ${error.message}`));
    if (!publish) return;
    const pid = exit?.pid ?? 0;
    const exitStatus = exit?.exitStatus ?? 255;
    const exitedAt = toTimestamp(exit?.exitedAt ?? new Date());
    this.events.emit(bundle.namespace, 'taskExit', { containerId: bundle.id, id: bundle.id, pid, exitStatus, exitedAt });
    this.events.emit(bundle.namespace, 'taskDelete', { containerId: bundle.id, pid, exitStatus, exitedAt });
  }
}

function key(ns: string, id: string): string {
  return `${ns}/${id}`;
}
