/**
 * The agent's end of the host-ports channel (guest/api/host-ports.ts). On every SSH connection to
 * the guest it asks the guest sshd to listen on HOST_PORTS_SOCKET (streamlocal-forward); each
 * connection the engine makes there arrives as a forwarded-streamlocal channel, and its JSON-line
 * requests are answered from the PortTable.
 */
import type { Duplex } from 'node:stream';
import { asTsdError, TsdError } from '../../guest/api/errors.js';
import {
  HOST_PORTS_PROTOCOL_VERSION,
  HOST_PORTS_SOCKET,
  LineReader,
  type HostPortsRequest,
  type HostPortsResponse,
} from '../../guest/api/host-ports.js';
import type { GuestSsh } from '../ssh/client.js';
import type { PortTable } from './port-table.js';

export interface HostPortsServiceOptions {
  table: PortTable;
  log: (line: string) => void;
  /** The guest path; HOST_PORTS_SOCKET unless a test runs the sshd beside others. */
  socketPath?: string;
}

export class HostPortsService {
  private readonly socketPath: string;

  constructor(private readonly options: HostPortsServiceOptions) {
    this.socketPath = options.socketPath ?? HOST_PORTS_SOCKET;
  }

  /** Call with each new SSH connection (first and after every reconnect). */
  async attach(ssh: GuestSsh): Promise<void> {
    ssh.client.on('unix connection', (info, accept, reject) => {
      if (info.socketPath !== this.socketPath) return reject();
      this.serve(accept());
    });
    await new Promise<void>((resolve, reject) =>
      ssh.client.openssh_forwardInStreamLocal(this.socketPath, (error) =>
        error ? reject(new TsdError('unavailable', `the guest refused to listen on ${this.socketPath}: ${error.message}`, { cause: error })) : resolve(),
      ),
    );
    this.options.log(`host ports: the guest listens on ${this.socketPath}`);
  }

  /** Answers requests in order, one JSON line each. */
  serve(stream: Duplex): void {
    const lines = new LineReader();
    let chain = Promise.resolve();
    stream.on('data', (chunk: Buffer) => {
      for (const line of lines.push(chunk)) {
        chain = chain.then(async () => {
          const answer = await this.answer(line);
          if (!stream.destroyed && stream.writable) stream.write(`${JSON.stringify(answer)}\n`);
        });
      }
    });
    stream.on('end', () => void chain.then(() => stream.end()));
    stream.on('error', () => stream.destroy());
  }

  private async answer(line: string): Promise<HostPortsResponse> {
    const v = HOST_PORTS_PROTOCOL_VERSION;
    let request: HostPortsRequest;
    try {
      request = JSON.parse(line) as HostPortsRequest;
    } catch {
      return { v, id: 0, ok: false, error: { code: 'invalid-argument', message: 'host ports: a request line is not JSON' } };
    }
    const id = typeof request.id === 'number' ? request.id : 0;
    if (request.v !== v) {
      return { v, id, ok: false, error: { code: 'unsupported', message: `host ports: protocol version ${String(request.v)} is not supported (this agent speaks ${v})` } };
    }
    try {
      switch (request.op) {
        case 'publish':
          return { v, id, ok: true, port: await this.options.table.publish(request.port) };
        case 'unpublish':
          await this.options.table.unpublish(request.port);
          return { v, id, ok: true };
        case 'list':
          return { v, id, ok: true, ports: this.options.table.list() };
        default:
          throw new TsdError('invalid-argument', `host ports: unknown op ${JSON.stringify((request as { op?: unknown }).op)}`);
      }
    } catch (error) {
      const failure = asTsdError(error);
      return { v, id, ok: false, error: { code: failure.code, message: failure.message } };
    }
  }
}
