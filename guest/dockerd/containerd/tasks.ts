/**
 * containerd's Tasks service: the running side of a container (its init process and execs).
 * stdio are paths of FIFOs the caller created; the shim opens them.
 */
import type { LinuxResources, Process } from '../../api/oci-runtime-spec.js';
import { fromTimestamp } from '../../containerd/api/timestamps.js';
import type { ContainerdConnection } from './connection.js';
import { specAny, type AnyMessage } from './containers.js';
import type { MountMessage, Timestamp } from './types.js';

const SERVICE = 'containerd.services.tasks.v1.Tasks';
const PROCESS_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Process';
const RESOURCES_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources';

export type TaskStatus = 'UNKNOWN' | 'CREATED' | 'RUNNING' | 'STOPPED' | 'PAUSED' | 'PAUSING';

export interface Stdio {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

export interface TaskProcess {
  containerId: string;
  id: string;
  pid: number;
  status: TaskStatus;
  exitStatus: number;
  exitedAt?: Date;
}

export interface ExitResult {
  exitStatus: number;
  exitedAt: Date;
}

interface ProcessMessage {
  containerId: string;
  id: string;
  pid: number;
  status: TaskStatus;
  exitStatus: number;
  exitedAt: Timestamp | null;
}

function toProcess(message: ProcessMessage): TaskProcess {
  return {
    containerId: message.containerId,
    id: message.id,
    pid: message.pid,
    status: message.status,
    exitStatus: message.exitStatus,
    exitedAt: fromTimestamp(message.exitedAt),
  };
}

export class TasksClient {
  constructor(private readonly connection: ContainerdConnection) {}

  async create(containerId: string, rootfs: MountMessage[], stdio: Stdio, options?: AnyMessage): Promise<number> {
    const response = await this.connection.unary<object, { pid: number }>(SERVICE, 'Create', {
      containerId, rootfs, ...stdio, options: options ?? null,
    });
    return response.pid;
  }

  async start(containerId: string, execId = ''): Promise<number> {
    const response = await this.connection.unary<object, { pid: number }>(SERVICE, 'Start', { containerId, execId });
    return response.pid;
  }

  async delete(containerId: string): Promise<ExitResult> {
    const response = await this.connection.unary<object, { exitStatus: number; exitedAt: Timestamp | null }>(SERVICE, 'Delete', { containerId });
    return { exitStatus: response.exitStatus, exitedAt: fromTimestamp(response.exitedAt) ?? new Date() };
  }

  async deleteProcess(containerId: string, execId: string): Promise<ExitResult> {
    const response = await this.connection.unary<object, { exitStatus: number; exitedAt: Timestamp | null }>(SERVICE, 'DeleteProcess', { containerId, execId });
    return { exitStatus: response.exitStatus, exitedAt: fromTimestamp(response.exitedAt) ?? new Date() };
  }

  async get(containerId: string, execId = ''): Promise<TaskProcess> {
    const response = await this.connection.unary<object, { process: ProcessMessage }>(SERVICE, 'Get', { containerId, execId });
    return toProcess(response.process);
  }

  /** The task, or undefined when the container has none. */
  async find(containerId: string): Promise<TaskProcess | undefined> {
    try {
      return await this.get(containerId);
    } catch (error) {
      if ((error as { code?: string }).code === 'not-found') return undefined;
      throw error;
    }
  }

  async list(): Promise<TaskProcess[]> {
    const response = await this.connection.unary<object, { tasks: ProcessMessage[] }>(SERVICE, 'List', { filter: '' });
    return (response.tasks ?? []).map(toProcess);
  }

  async kill(containerId: string, signal: number, options: { execId?: string; all?: boolean } = {}): Promise<void> {
    await this.connection.unary(SERVICE, 'Kill', { containerId, execId: options.execId ?? '', signal, all: options.all ?? false });
  }

  async exec(containerId: string, execId: string, process: Process, stdio: Stdio): Promise<void> {
    await this.connection.unary(SERVICE, 'Exec', { containerId, execId, ...stdio, spec: specAny(process, PROCESS_TYPE_URL) });
  }

  async resizePty(containerId: string, execId: string, width: number, height: number): Promise<void> {
    await this.connection.unary(SERVICE, 'ResizePty', { containerId, execId, width, height });
  }

  async closeStdin(containerId: string, execId = ''): Promise<void> {
    await this.connection.unary(SERVICE, 'CloseIO', { containerId, execId, stdin: true });
  }

  async pause(containerId: string): Promise<void> {
    await this.connection.unary(SERVICE, 'Pause', { containerId });
  }

  async resume(containerId: string): Promise<void> {
    await this.connection.unary(SERVICE, 'Resume', { containerId });
  }

  async listPids(containerId: string): Promise<number[]> {
    const response = await this.connection.unary<object, { processes: { pid: number }[] }>(SERVICE, 'ListPids', { containerId });
    return (response.processes ?? []).map((p) => p.pid);
  }

  async update(containerId: string, resources: LinuxResources): Promise<void> {
    await this.connection.unary(SERVICE, 'Update', { containerId, resources: specAny(resources, RESOURCES_TYPE_URL) });
  }

  /** Blocks until the process exits (immediately when it has). */
  async wait(containerId: string, execId = ''): Promise<ExitResult> {
    const response = await this.connection.unary<object, { exitStatus: number; exitedAt: Timestamp | null }>(SERVICE, 'Wait', { containerId, execId });
    return { exitStatus: response.exitStatus, exitedAt: fromTimestamp(response.exitedAt) ?? new Date() };
  }
}
