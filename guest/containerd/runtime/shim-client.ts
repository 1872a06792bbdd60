/**
 * containerd's side of one shim: a ttrpc connection to the shim's containerd.task.v2.Task
 * service (guest/ttrpc), every call carrying the namespace as containerd sends it
 * ("containerd-namespace-ttrpc" metadata). Messages are protobufjs objects: camelCase fields,
 * enums as names, Timestamps as {seconds, nanos}, Any as {type_url, value}.
 */
import { ServiceClient, TtrpcClient, type CallOptions } from '../../ttrpc/index.js';
import type { AnyMessage } from '../api/event-types.js';
import { loadApi } from '../api/load-api.js';
import type { Timestamp } from '../api/timestamps.js';

export const SHIM_SERVICE = 'containerd.task.v2.Task';

export type ProcessStatus = 'UNKNOWN' | 'CREATED' | 'RUNNING' | 'STOPPED' | 'PAUSED' | 'PAUSING';

export interface StateResponse {
  id: string;
  bundle: string;
  pid: number;
  status: ProcessStatus;
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  exitStatus: number;
  exitedAt: Timestamp | null;
  execId: string;
}

export interface ExitResponse {
  pid?: number;
  exitStatus: number;
  exitedAt: Timestamp | null;
}

export interface MountMessage {
  type: string;
  source: string;
  target: string;
  options: string[];
}

/** The shim methods containerd calls, with their request and response shapes. */
export interface ShimMethods {
  State: [{ id: string; execId?: string }, StateResponse];
  Create: [{ id: string; bundle: string; rootfs: MountMessage[]; terminal: boolean; stdin: string; stdout: string; stderr: string; checkpoint?: string; options: AnyMessage | null }, { pid: number }];
  Start: [{ id: string; execId?: string }, { pid: number }];
  Delete: [{ id: string; execId?: string }, ExitResponse & { pid: number }];
  Pids: [{ id: string }, { processes: Array<{ pid: number; info: AnyMessage | null }> }];
  Pause: [{ id: string }, object];
  Resume: [{ id: string }, object];
  Kill: [{ id: string; execId?: string; signal: number; all: boolean }, object];
  Exec: [{ id: string; execId: string; terminal: boolean; stdin: string; stdout: string; stderr: string; spec: AnyMessage | null }, object];
  ResizePty: [{ id: string; execId?: string; width: number; height: number }, object];
  CloseIO: [{ id: string; execId?: string; stdin: boolean }, object];
  Update: [{ id: string; resources: AnyMessage | null; annotations: Record<string, string> }, object];
  Wait: [{ id: string; execId?: string }, ExitResponse];
  Stats: [{ id: string }, { stats: AnyMessage | null }];
  Connect: [{ id: string }, { shimPid: number; taskPid: number; version: string }];
  Shutdown: [{ id: string; now?: boolean }, object];
}

export class ShimClient {
  readonly #service: ServiceClient;

  private constructor(readonly connection: TtrpcClient, readonly namespace: string) {
    this.#service = new ServiceClient(connection, loadApi().ttrpc, SHIM_SERVICE);
  }

  static async connect(address: string, namespace: string): Promise<ShimClient> {
    return new ShimClient(await TtrpcClient.connect(address, { timeoutMs: 10_000 }), namespace);
  }

  call<M extends keyof ShimMethods>(method: M, request: ShimMethods[M][0], options: CallOptions = {}): Promise<ShimMethods[M][1]> {
    const metadata = [...(options.metadata ?? []), { key: 'containerd-namespace-ttrpc', value: this.namespace }];
    return this.#service.call<ShimMethods[M][1]>(method, request, { ...options, metadata });
  }

  onClose(listener: () => void): void {
    this.connection.onClose(listener);
  }

  close(): void {
    this.connection.close();
  }
}
