/**
 * containerd.task.v2.Task, for every task this shim process serves (one, or a group). Requests
 * are plain objects decoded by guest/ttrpc; errors are TsdErrors (mapped to gRPC codes there).
 * Event order follows containerd's runtime v2 rules: create → start → exit → delete, and
 * exec-added → exec-started → exit; an exit is published only after its start event.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TsdError } from '../api/errors.js';
import { writeFileAtomicSync } from '../lib/atomic-file.js';
import { toTimestamp, type Timestamp } from '../containerd/api/timestamps.js';
import { encodeMessage, type TypedHandler } from '../ttrpc/index.js';
import { Container } from './container.js';
import { TaskTopic, type EventPublisher } from './event-publisher.js';
import type { Exit, Reaper } from './reaper.js';
import { OomWatch } from './oom-watch.js';
import { mountRootfs, unmountRootfs, type MountDescription } from './rootfs.js';
import { RuntimeCli } from './runtime-cli.js';
import { chooseRuntime, type AnyMessage } from './runtime-options.js';
import { log } from './shim-log.js';
import { shimProtos } from './shim-protos.js';
import { TaskProcess } from './task-process.js';
import { taskStats } from './task-stats.js';

export const SHIM_VERSION = 'tsd-shim 0.1.0';

/** Written into each bundle at Create, read by the `delete` verb when the shim is gone. */
export const BUNDLE_STATE_FILE = 'tsd-shim.json';

export interface BundleState {
  binary: string;
  root: string;
}

interface IdRequest {
  id: string;
  execId: string;
}

interface CreateRequest {
  id: string;
  bundle: string;
  rootfs: MountDescription[];
  terminal: boolean;
  stdin: string;
  stdout: string;
  stderr: string;
  checkpoint: string;
  options: AnyMessage | null;
}

const EMPTY = {};

/** How long a start verb's Connect keeps an idle shim from exiting (containerd connects next). */
const START_RESERVATION_MS = 10_000;

export class TaskService {
  private readonly containers = new Map<string, Container>();
  /** Until then an idle shim stays: a start verb has just handed out its address. */
  reservedUntil = 0;
  private readonly oomWatches = new Map<string, OomWatch>();

  constructor(
    private readonly namespace: string,
    private readonly reaper: Reaper,
    private readonly events: EventPublisher,
    /** Called by Shutdown: now, or once idle (no task left). */
    private readonly shutdown: (now: boolean) => void,
  ) {
    setInterval(() => this.checkOom(), 1000);
  }

  /** A start verb hands this shim's address out: containerd connects within the reservation. */
  reserve(): void {
    this.reservedUntil = Math.max(this.reservedUntil, Date.now() + START_RESERVATION_MS);
  }

  get taskCount(): number {
    return this.containers.size;
  }

  handlers(): Record<string, TypedHandler> {
    return {
      Create: (r: CreateRequest) => this.create(r),
      Start: (r: IdRequest) => this.start(r),
      State: async (r: IdRequest) => this.state(r),
      Delete: (r: IdRequest) => this.delete(r),
      Pids: (r: { id: string }) => this.pids(r.id),
      Pause: (r: { id: string }) => this.pause(r.id),
      Resume: (r: { id: string }) => this.resume(r.id),
      Checkpoint: async () => {
        throw new TsdError('unsupported', 'checkpoint is not implemented by the tsd shim');
      },
      Kill: async (r: IdRequest & { signal: number; all: boolean }) => {
        const container = this.get(r.id);
        await container.kill(container.process(r.execId), r.signal, r.all);
        return EMPTY;
      },
      Exec: async (r: IdRequest & { terminal: boolean; stdin: string; stdout: string; stderr: string; spec: AnyMessage | null }) => this.exec(r),
      ResizePty: async (r: IdRequest & { width: number; height: number }) => {
        this.get(r.id).process(r.execId).io?.resize(r.width, r.height);
        return EMPTY;
      },
      CloseIO: async (r: IdRequest & { stdin: boolean }) => {
        if (r.stdin) this.get(r.id).process(r.execId).io?.closeStdin();
        return EMPTY;
      },
      Update: async (r: { id: string; resources: AnyMessage | null }) => {
        const container = this.get(r.id);
        if (r.resources) await container.runtime.run(['update', '--resources', '-', r.id], { input: Buffer.from(r.resources.value) });
        return EMPTY;
      },
      Wait: async (r: IdRequest) => {
        const exit = await this.get(r.id).process(r.execId).wait();
        return { exitStatus: exit.exitStatus, exitedAt: toTimestamp(exit.exitedAt) };
      },
      Stats: async (r: { id: string }) => ({ stats: await taskStats(this.get(r.id).runtime, r.id) }),
      Connect: async (r: { id: string }) => {
        this.reserve();
        return { shimPid: process.pid, taskPid: this.containers.get(r.id)?.init.pid ?? 0, version: SHIM_VERSION };
      },
      Shutdown: async (r: { now: boolean }) => {
        if (r.now || this.containers.size === 0) setImmediate(() => this.shutdown(r.now));
        return EMPTY;
      },
    };
  }

  private get(id: string): Container {
    const container = this.containers.get(id);
    if (!container) throw new TsdError('not-found', `task ${id} not found`);
    return container;
  }

  private async create(r: CreateRequest): Promise<object> {
    if (this.containers.has(r.id)) throw new TsdError('already-exists', `task ${r.id} already exists`);
    if (r.checkpoint) throw new TsdError('unsupported', 'restoring from a checkpoint is not implemented by the tsd shim');
    const choice = chooseRuntime(this.namespace, r.options);
    mkdirSync(choice.root, { recursive: true });
    const state: BundleState = { binary: choice.binary, root: choice.root };
    writeFileAtomicSync(join(r.bundle, BUNDLE_STATE_FILE), JSON.stringify(state));
    const runtime = new RuntimeCli({ binary: choice.binary, root: choice.root, bundle: r.bundle }, this.reaper);
    const stdio = { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, terminal: r.terminal };
    const init = new TaskProcess(r.id, '', stdio);
    const container = new Container(r.id, r.bundle, init, runtime, this.reaper, (p, exit) => this.onExit(p, exit));
    this.containers.set(r.id, container);
    try {
      mountRootfs(r.bundle, r.rootfs);
      await container.create({ noPivot: false });
    } catch (error) {
      this.containers.delete(r.id);
      try {
        unmountRootfs(r.bundle);
      } catch (unmountError) {
        log('warn', 'unmount after a failed create', { id: r.id, error: (unmountError as Error).message });
      }
      throw error;
    }
    log('info', 'task created', { id: r.id, pid: init.pid, runtime: choice.binary });
    const oom = OomWatch.forPid(init.pid);
    if (oom) this.oomWatches.set(r.id, oom);
    this.events.publish(TaskTopic.Create, {
      containerId: r.id, bundle: r.bundle, rootfs: r.rootfs, io: stdio, checkpoint: r.checkpoint, pid: init.pid,
    });
    return { pid: init.pid };
  }

  private async start(r: IdRequest): Promise<object> {
    const container = this.get(r.id);
    const process = container.process(r.execId);
    let done!: () => void;
    process.started = new Promise((resolve) => (done = resolve));
    try {
      await container.start(process);
      if (process.isInit) this.events.publish(TaskTopic.Start, { containerId: r.id, pid: process.pid });
      else this.events.publish(TaskTopic.ExecStarted, { containerId: r.id, execId: r.execId, pid: process.pid });
    } finally {
      done();
    }
    return { pid: process.pid };
  }

  private state(r: IdRequest): object {
    const container = this.get(r.id);
    const process = container.process(r.execId);
    const exit = process.exit;
    return {
      id: process.execId || r.id, bundle: container.bundle, pid: process.pid, status: process.wireStatus,
      stdin: process.stdio.stdin, stdout: process.stdio.stdout, stderr: process.stdio.stderr, terminal: process.stdio.terminal,
      exitStatus: exit?.exitStatus ?? 0, exitedAt: exit ? toTimestamp(exit.exitedAt) : null, execId: r.execId,
    };
  }

  private async exec(r: IdRequest & { terminal: boolean; stdin: string; stdout: string; stderr: string; spec: AnyMessage | null }): Promise<object> {
    const container = this.get(r.id);
    if (!r.execId) throw new TsdError('invalid-argument', 'exec id must not be empty');
    if (container.execs.has(r.execId)) throw new TsdError('already-exists', `exec ${r.execId} already exists in task ${r.id}`);
    if (container.init.state.status === 'stopped') throw new TsdError('conflict', `task ${r.id} is stopped`);
    const spec = r.spec ? Buffer.from(r.spec.value).toString() : undefined;
    const exec = new TaskProcess(r.id, r.execId, { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, terminal: r.terminal }, spec);
    container.execs.set(r.execId, exec);
    this.events.publish(TaskTopic.ExecAdded, { containerId: r.id, execId: r.execId });
    return EMPTY;
  }

  private async delete(r: IdRequest): Promise<object> {
    const container = this.get(r.id);
    const process = container.process(r.execId);
    if (process.isInit) {
      await container.delete();
      this.containers.delete(r.id);
      this.oomWatches.delete(r.id);
    } else {
      await container.deleteExec(process);
    }
    const exit = process.exit;
    const exitedAt = toTimestamp(exit?.exitedAt ?? new Date());
    const response = { pid: process.pid, exitStatus: exit?.exitStatus ?? 0, exitedAt };
    if (process.isInit) this.events.publish(TaskTopic.Delete, { containerId: r.id, ...response, id: r.id });
    return response;
  }

  private async pids(id: string): Promise<object> {
    const container = this.get(id);
    const output = await container.runtime.run(['ps', '--format', 'json', id]);
    const pids = (JSON.parse(output || '[]') as number[] | null) ?? [];
    const details = shimProtos().lookupType('containerd.runc.v1.ProcessDetails');
    const execByPid = new Map([...container.execs.values()].map((exec) => [exec.pid, exec.execId]));
    return {
      processes: pids.map((pid) => {
        const execId = execByPid.get(pid);
        return execId ? { pid, info: { typeUrl: 'containerd.runc.v1.ProcessDetails', value: encodeMessage(details, { execId }) } } : { pid };
      }),
    };
  }

  private async pause(id: string): Promise<object> {
    await this.get(id).pause();
    this.events.publish(TaskTopic.Paused, { containerId: id });
    return EMPTY;
  }

  private async resume(id: string): Promise<object> {
    await this.get(id).resume();
    this.events.publish(TaskTopic.Resumed, { containerId: id });
    return EMPTY;
  }

  /** TaskOOM for every task whose cgroup's OOM-kill counter went up. */
  private checkOom(): void {
    for (const [id, watch] of this.oomWatches) {
      if (watch.killedSinceLastCheck()) this.events.publish(TaskTopic.OOM, { containerId: id });
    }
  }

  private onExit(process: TaskProcess, exit: Exit): void {
    process.setExited(exit.status, exit.at);
    // An OOM kill is reported before the exit it caused.
    const oom = this.oomWatches.get(process.containerId);
    if (oom?.killedSinceLastCheck()) this.events.publish(TaskTopic.OOM, { containerId: process.containerId });
    log('info', 'process exited', { id: process.containerId, execId: process.execId, pid: exit.pid, status: exit.status });
    const exitedAt: Timestamp = toTimestamp(exit.at);
    void process.started.then(() =>
      this.events.publish(TaskTopic.Exit, {
        containerId: process.containerId, id: process.execId || process.containerId, pid: exit.pid, exitStatus: exit.status, exitedAt,
      }),
    );
  }
}
