/**
 * Task events to containerd, the way its shims send them: ttrpc to containerd's `<address>.ttrpc`
 * (TTRPC_ADDRESS), containerd.services.events.ttrpc.v1.Events/Forward with an Envelope whose
 * event is an Any named by the message's full name (e.g. "containerd.events.TaskExit").
 * Events are queued and sent in order; while containerd is down (stopped, restarting, killed)
 * they wait and are delivered once it is back, so a TaskExit is never lost to a restart.
 */
import { toTimestamp } from '../containerd/api/timestamps.js';
import { encodeMessage, ServiceClient, TtrpcClient } from '../ttrpc/index.js';
import { log } from './shim-log.js';
import { EVENTS_SERVICE, shimProtos } from './shim-protos.js';

export const TaskTopic = {
  Create: '/tasks/create',
  Start: '/tasks/start',
  Exit: '/tasks/exit',
  Delete: '/tasks/delete',
  ExecAdded: '/tasks/exec-added',
  ExecStarted: '/tasks/exec-started',
  OOM: '/tasks/oom',
  Paused: '/tasks/paused',
  Resumed: '/tasks/resumed',
  Checkpointed: '/tasks/checkpointed',
} as const;
export type TaskTopic = (typeof TaskTopic)[keyof typeof TaskTopic];

/** topic -> the event message in package containerd.events. */
const EVENT_TYPES: Record<TaskTopic, string> = {
  '/tasks/create': 'TaskCreate',
  '/tasks/start': 'TaskStart',
  '/tasks/exit': 'TaskExit',
  '/tasks/delete': 'TaskDelete',
  '/tasks/exec-added': 'TaskExecAdded',
  '/tasks/exec-started': 'TaskExecStarted',
  '/tasks/oom': 'TaskOOM',
  '/tasks/paused': 'TaskPaused',
  '/tasks/resumed': 'TaskResumed',
  '/tasks/checkpointed': 'TaskCheckpointed',
};

const MAX_QUEUE = 4096;

interface Envelope {
  timestamp: { seconds: number; nanos: number };
  namespace: string;
  topic: string;
  event: { typeUrl: string; value: Uint8Array };
}

export class EventPublisher {
  private readonly queue: Envelope[] = [];
  private client: ServiceClient | undefined;
  private connection: TtrpcClient | undefined;
  private draining = false;
  private failures = 0;

  constructor(
    private readonly address: string,
    private readonly namespace: string,
  ) {}

  publish(topic: TaskTopic, event: object): void {
    const typeName = `containerd.events.${EVENT_TYPES[topic]}`;
    const value = encodeMessage(shimProtos().lookupType(typeName), event);
    if (!this.address) return log('warn', 'no TTRPC_ADDRESS: event dropped', { topic });
    if (this.queue.length >= MAX_QUEUE) log('error', 'event queue full: oldest event dropped', { topic: this.queue.shift()?.topic });
    this.queue.push({ timestamp: toTimestamp(new Date()), namespace: this.namespace, topic, event: { typeUrl: typeName, value } });
    void this.drain();
  }

  /** Resolves when the queue is empty (for a clean shutdown), or after timeoutMs. */
  async flush(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length > 0 && Date.now() < deadline) await sleep(50);
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const envelope = this.queue[0]!;
        try {
          const client = await this.connect();
          await client.call('Forward', { envelope }, { timeoutMs: 5000, metadata: [{ key: 'containerd-namespace-ttrpc', value: this.namespace }] });
          this.queue.shift();
          this.failures = 0;
        } catch (error) {
          this.failures++;
          if (this.failures === 1 || this.failures % 60 === 0) {
            log('warn', 'forwarding event failed; will retry', { topic: envelope.topic, error: (error as Error).message });
          }
          this.connection?.close();
          this.connection = undefined;
          this.client = undefined;
          await sleep(Math.min(2000, 100 * 2 ** Math.min(this.failures, 5)));
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async connect(): Promise<ServiceClient> {
    if (this.client && this.connection && !this.connection.closed) return this.client;
    const connection = await TtrpcClient.connect(this.address, { timeoutMs: 5000 });
    this.connection = connection;
    this.client = new ServiceClient(connection, shimProtos(), EVENTS_SERVICE);
    return this.client;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
