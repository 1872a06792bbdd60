/**
 * A minimal, typed QMP client (QEMU Machine Protocol: JSON lines over a unix socket).
 * Handshake: QEMU sends a greeting, we send qmp_capabilities, then commands carry an id and
 * answers come back with it; asynchronous events (SHUTDOWN, POWERDOWN…) arrive in between.
 */
import { createConnection, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { TsdError } from '../../../guest/api/errors.js';
import { SLIRP_NETDEV_ID } from './argv.js';

/** The commands tsd uses, with their arguments and results. */
export interface QmpCommands {
  qmp_capabilities: { args: Record<string, never>; result: Record<string, never> };
  system_powerdown: { args: Record<string, never>; result: Record<string, never> };
  quit: { args: Record<string, never>; result: Record<string, never> };
  'query-status': { args: Record<string, never>; result: { status: string; running: boolean } };
  'human-monitor-command': { args: { 'command-line': string }; result: string };
}
export type QmpCommand = keyof QmpCommands;

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

export class QmpClient extends EventEmitter<{ event: [QmpEvent]; close: [] }> {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private greeted: Pending | undefined;
  /** Set once the socket closed: later commands fail at once instead of waiting forever. */
  private closed = false;

  private constructor(private readonly socket: Socket) {
    super();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
      const error = new TsdError('unavailable', 'QMP connection closed');
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
      this.greeted?.reject(error);
      this.emit('close');
    });
    socket.on('error', () => {}); // 'close' follows and rejects what is pending
  }

  /** Connects, waits for the greeting and negotiates capabilities. */
  static async connect(socketPath: string, timeoutMs = 5000): Promise<QmpClient> {
    const socket = createConnection(socketPath);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new QmpClient(socket);
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    try {
      await new Promise((resolve, reject) => (client.greeted = { resolve, reject }));
      await client.execute('qmp_capabilities', {});
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  execute<C extends QmpCommand>(command: C, args: QmpCommands[C]['args']): Promise<QmpCommands[C]['result']> {
    if (this.closed || this.socket.destroyed || this.socket.writableEnded) {
      return Promise.reject(new TsdError('unavailable', `QMP connection closed (${command} not sent)`));
    }
    const id = String(this.nextId++);
    const message = Object.keys(args).length === 0 ? { execute: command, id } : { execute: command, arguments: args, id };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.socket.write(`${JSON.stringify(message)}\n`);
    });
  }

  /** Runs a human monitor command (e.g. hostfwd_add) and fails if it printed an error. */
  async humanCommand(commandLine: string): Promise<string> {
    const output = await this.execute('human-monitor-command', { 'command-line': commandLine });
    if (/error|invalid|could not|not found|unrecognized|unknown/i.test(output)) {
      throw new TsdError('internal', `QEMU monitor: ${commandLine}: ${output.trim()}`);
    }
    return output;
  }

  /** Adds a slirp forward on the machine's netdev, e.g. `tcp:0.0.0.0:8080-10.0.2.15:8080`. */
  hostfwdAdd(rule: string): Promise<string> {
    return this.humanCommand(`hostfwd_add ${SLIRP_NETDEV_ID} ${rule}`);
  }

  /** Removes one by its host side, e.g. `tcp:0.0.0.0:8080`; fails when no such rule exists. */
  hostfwdRemove(rule: string): Promise<string> {
    return this.humanCommand(`hostfwd_remove ${SLIRP_NETDEV_ID} ${rule}`);
  }

  close(): void {
    this.socket.end();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) !== -1) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line !== '') this.onMessage(JSON.parse(line) as Record<string, unknown>);
    }
  }

  private onMessage(message: Record<string, unknown>): void {
    if ('QMP' in message) {
      this.greeted?.resolve(undefined);
      this.greeted = undefined;
      return;
    }
    if ('event' in message) {
      this.emit('event', message as unknown as QmpEvent);
      return;
    }
    const id = typeof message.id === 'string' ? message.id : undefined;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (pending === undefined || id === undefined) return;
    this.pending.delete(id);
    if ('error' in message) {
      const error = message.error as { class?: string; desc?: string };
      pending.reject(new TsdError('internal', `QMP ${error.class ?? 'error'}: ${error.desc ?? 'unknown'}`));
    } else {
      pending.resolve(message.return);
    }
  }
}
