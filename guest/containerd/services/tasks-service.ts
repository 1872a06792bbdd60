/**
 * containerd.services.tasks.v1.Tasks: each call finds the container (NotFound when it does not
 * exist), then its task in the shim manager ("task ID not found"), then asks the task's shim
 * over ttrpc. Shim errors go back with the shim's own gRPC code and message.
 */
import { TsdError } from '../../api/errors.js';
import type { AnyMessage } from '../api/event-types.js';
import { toTimestamp, type Timestamp } from '../api/timestamps.js';
import type { ContainerStore } from '../metadata/container-store.js';
import type { MountMessage, StateResponse } from '../runtime/shim-client.js';
import type { ShimManager, ShimTask } from '../runtime/shim-manager.js';
import { anyFilter } from '../content/filters.js';
import { unary, type ServiceHandlers } from '../server/handlers.js';
import type { CallContext } from '../server/call-context.js';

interface ProcessMessage {
  containerId: string;
  id: string;
  pid: number;
  status: string;
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  exitStatus: number;
  exitedAt: Timestamp | null;
}

type Ids = { containerId: string; execId: string };

const STATE_TIMEOUT_MS = 5_000;
type Empty = Record<string, never>;

interface CreateRequest {
  containerId: string;
  rootfs: MountMessage[];
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  checkpoint: { digest: string } | null;
  options: AnyMessage | null;
  runtimePath: string;
}

interface ExecRequest extends Ids {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  spec: AnyMessage | null;
}

export function tasksService(containers: ContainerStore, shims: ShimManager): ServiceHandlers {
  /** The container's task, after checking the container exists (containerd's getTask). */
  const task = (context: CallContext, id: string): ShimTask => {
    const ns = context.requireNamespace();
    containers.get(ns, id);
    return shims.get(ns, id);
  };
  // Bounded like containerd's state calls: one hung shim must not hang `ctr task ls`.
  const state = async (shim: ShimTask, execId: string): Promise<ProcessMessage> =>
    toProcess(shim.bundle.id, execId, await shim.client.call('State', { id: shim.bundle.id, execId }, { timeoutMs: STATE_TIMEOUT_MS }));

  return {
    Create: unary<CreateRequest, { containerId: string; pid: number }>(async (request, context) => {
      const ns = context.requireNamespace();
      const container = containers.get(ns, request.containerId);
      if (request.checkpoint) throw new TsdError('unsupported', 'restoring a task from a checkpoint is not supported');
      const { pid } = await shims.create(ns, container, {
        rootfs: request.rootfs.map((mount) => ({ type: mount.type, source: mount.source, target: mount.target, options: mount.options })),
        stdin: request.stdin,
        stdout: request.stdout,
        stderr: request.stderr,
        terminal: request.terminal,
        options: request.options,
        runtimePath: request.runtimePath,
      });
      return { containerId: request.containerId, pid };
    }),
    Start: unary<Ids, { pid: number }>(async (request, context) => {
      const shim = task(context, request.containerId);
      return { pid: (await shim.client.call('Start', { id: request.containerId, execId: request.execId })).pid };
    }),
    Delete: unary<{ containerId: string }, object>(async (request, context) => {
      const ns = context.requireNamespace();
      task(context, request.containerId);
      const exit = await shims.delete(ns, request.containerId);
      return { pid: exit.pid, exitStatus: exit.exitStatus, exitedAt: toTimestamp(exit.exitedAt) };
    }),
    DeleteProcess: unary<Ids, object>(async (request, context) => {
      const shim = task(context, request.containerId);
      if (request.execId === '') throw new TsdError('invalid-argument', 'exec id must not be empty (use Delete for the task)');
      const exit = await shim.client.call('Delete', { id: request.containerId, execId: request.execId });
      return { id: request.execId, pid: exit.pid, exitStatus: exit.exitStatus, exitedAt: exit.exitedAt };
    }),
    Get: unary<Ids, { process: ProcessMessage }>(async (request, context) => ({
      process: await state(task(context, request.containerId), request.execId),
    })),
    List: unary<{ filter: string }, { tasks: ProcessMessage[] }>(async (_request, context) => {
      const ns = context.requireNamespace();
      const tasks: ProcessMessage[] = [];
      for (const shim of shims.list(ns)) {
        // A task deleted or whose shim went away meanwhile is left out, as containerd does; one
        // whose shim does not answer but reported its exit is listed as stopped.
        const process = await state(shim, '').catch(() => (shim.exit ? stoppedProcess(shim) : undefined));
        if (process) tasks.push(process);
      }
      return { tasks };
    }),
    Kill: unary<Ids & { signal: number; all: boolean }, Empty>(async (request, context) => {
      const shim = task(context, request.containerId);
      await shim.client.call('Kill', { id: request.containerId, execId: request.execId, signal: request.signal, all: request.all });
      return {};
    }),
    Exec: unary<ExecRequest, Empty>(async (request, context) => {
      const shim = task(context, request.containerId);
      if (request.execId === '') throw new TsdError('invalid-argument', 'exec id cannot be empty');
      await shim.client.call('Exec', {
        id: request.containerId,
        execId: request.execId,
        terminal: request.terminal,
        stdin: request.stdin,
        stdout: request.stdout,
        stderr: request.stderr,
        spec: request.spec,
      });
      return {};
    }),
    ResizePty: unary<Ids & { width: number; height: number }, Empty>(async (request, context) => {
      await task(context, request.containerId).client.call('ResizePty', { id: request.containerId, execId: request.execId, width: request.width, height: request.height });
      return {};
    }),
    CloseIO: unary<Ids & { stdin: boolean }, Empty>(async (request, context) => {
      await task(context, request.containerId).client.call('CloseIO', { id: request.containerId, execId: request.execId, stdin: request.stdin });
      return {};
    }),
    Pause: unary<{ containerId: string }, Empty>(async (request, context) => {
      await task(context, request.containerId).client.call('Pause', { id: request.containerId });
      return {};
    }),
    Resume: unary<{ containerId: string }, Empty>(async (request, context) => {
      await task(context, request.containerId).client.call('Resume', { id: request.containerId });
      return {};
    }),
    ListPids: unary<{ containerId: string }, object>(async (request, context) => {
      const { processes } = await task(context, request.containerId).client.call('Pids', { id: request.containerId });
      return { processes };
    }),
    Checkpoint: unary<{ containerId: string }, object>(async (request, context) => {
      task(context, request.containerId);
      throw new TsdError('unsupported', 'checkpoint is not supported by tsd-containerd');
    }),
    Update: unary<{ containerId: string; resources: AnyMessage | null; annotations: Record<string, string> }, Empty>(async (request, context) => {
      await task(context, request.containerId).client.call('Update', { id: request.containerId, resources: request.resources, annotations: request.annotations });
      return {};
    }),
    Metrics: unary<{ filters: string[] }, object>(async (request, context) => {
      const ns = context.requireNamespace();
      const matches = anyFilter(request.filters);
      const metrics = [];
      for (const shim of shims.list(ns)) {
        const id = shim.bundle.id;
        if (!matches((path) => (path.length === 1 && path[0] === 'id' ? id : undefined))) continue;
        const { stats } = await shim.client.call('Stats', { id }).catch(() => ({ stats: null }));
        if (stats) metrics.push({ timestamp: toTimestamp(new Date()), id, data: stats });
      }
      return { metrics };
    }),
    Wait: unary<Ids, { exitStatus: number; exitedAt: Timestamp | null }>(async (request, context) => {
      const shim = task(context, request.containerId);
      const exit = await shim.client.call('Wait', { id: request.containerId, execId: request.execId });
      return { exitStatus: exit.exitStatus, exitedAt: exit.exitedAt };
    }),
  };
}

function stoppedProcess(shim: ShimTask): ProcessMessage {
  const exit = shim.exit as NonNullable<ShimTask['exit']>;
  const id = shim.bundle.id;
  return { containerId: id, id, pid: exit.pid, status: 'STOPPED', stdin: '', stdout: '', stderr: '', terminal: false, exitStatus: exit.exitStatus, exitedAt: toTimestamp(exit.exitedAt) };
}

function toProcess(containerId: string, execId: string, state: StateResponse): ProcessMessage {
  return {
    containerId,
    id: execId || containerId,
    pid: state.pid,
    status: state.status,
    stdin: state.stdin,
    stdout: state.stdout,
    stderr: state.stderr,
    terminal: state.terminal,
    exitStatus: state.exitStatus,
    exitedAt: state.exitedAt,
  };
}
