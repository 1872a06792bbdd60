/**
 * The guest's side of the host-ports channel (guest/api/host-ports.ts): the engine's port
 * publisher calls publishHostPort() before it answers a container start, so that the listener on
 * the user's host exists when `docker run -d -p …` returns. One connection per request: the
 * socket is the guest sshd's end of the host agent's reverse forward.
 *
 * Errors are TsdErrors: `unavailable` when no host agent listens (host mode, or the machine's SSH
 * link is down), `conflict` when the host port is taken (message in Docker's words), others as the
 * agent sent them.
 */
import { connect } from 'node:net';
import { TsdError, type ErrorCode } from '../api/errors.js';
import {
  HOST_PORTS_PROTOCOL_VERSION,
  HOST_PORTS_SOCKET,
  LineReader,
  type HostPortsRequest,
  type HostPortsResponse,
  type PortMapping,
  type PublishedPort,
} from '../api/host-ports.js';

export interface HostPortsClientOptions {
  /** Default HOST_PORTS_SOCKET. */
  socketPath?: string;
  /** Default 10 s: the agent only binds a socket, but the SSH link may be slow under tcg. */
  timeoutMs?: number;
}

type RequestBody = { op: 'publish'; port: PortMapping } | { op: 'unpublish'; port: Pick<PortMapping, 'proto' | 'hostIp' | 'hostPort'> } | { op: 'list' };

/** Opens PORT on the host; resolves with what was bound (the chosen port when hostPort was 0). */
export async function publishHostPort(port: PortMapping, options: HostPortsClientOptions = {}): Promise<PublishedPort> {
  const answer = await request({ op: 'publish', port }, options);
  if (answer.port === undefined) throw new TsdError('internal', 'the host agent answered publish without a port');
  return answer.port;
}

/** Closes the host listener of a mapping; closing one that is not open succeeds. */
export async function unpublishHostPort(port: Pick<PortMapping, 'proto' | 'hostIp' | 'hostPort'>, options: HostPortsClientOptions = {}): Promise<void> {
  await request({ op: 'unpublish', port }, options);
}

export async function listHostPorts(options: HostPortsClientOptions = {}): Promise<PublishedPort[]> {
  return (await request({ op: 'list' }, options)).ports ?? [];
}

type OkResponse = Extract<HostPortsResponse, { ok: true }>;

function request(body: RequestBody, options: HostPortsClientOptions): Promise<OkResponse> {
  const socketPath = options.socketPath ?? HOST_PORTS_SOCKET;
  const message: HostPortsRequest = { v: HOST_PORTS_PROTOCOL_VERSION, id: 1, ...body } as HostPortsRequest;
  return new Promise((resolve, reject) => {
    const socket = connect({ path: socketPath });
    const lines = new LineReader();
    const fail = (code: ErrorCode, text: string, cause?: unknown) => {
      socket.destroy();
      reject(new TsdError(code, text, { cause }));
    };
    const timer = setTimeout(() => fail('unavailable', `the host agent did not answer ${body.op} within ${options.timeoutMs ?? 10_000} ms`), options.timeoutMs ?? 10_000);
    socket.once('close', () => {
      clearTimeout(timer);
      fail('unavailable', `the host agent closed ${socketPath} without answering ${body.op}`);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const missing = error.code === 'ENOENT' || error.code === 'ECONNREFUSED';
      fail('unavailable', missing ? `no host agent listens on ${socketPath} (is this a machine's guest?)` : `${socketPath}: ${error.message}`, error);
    });
    socket.on('connect', () => socket.write(`${JSON.stringify(message)}\n`));
    socket.on('data', (chunk: Buffer) => {
      const [line] = lines.push(chunk);
      if (line === undefined) return;
      clearTimeout(timer);
      let answer: HostPortsResponse;
      try {
        answer = JSON.parse(line) as HostPortsResponse;
      } catch (error) {
        return fail('internal', `the host agent sent a line that is not JSON: ${line.slice(0, 200)}`, error);
      }
      socket.removeAllListeners('close');
      socket.end();
      if (answer.ok) resolve(answer);
      else reject(new TsdError(answer.error.code, answer.error.message));
    });
  });
}

/** A container port the engine published in the guest (the shape of dockerd's network Publication). */
export interface GuestPublication {
  proto: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

/**
 * The engine's publish hook for a machine's guest: each publication is opened on the user's host
 * with the same host IP and port, carried straight to the container's address (the host agent's
 * connections come from the guest's root namespace, which reaches the bridge). All or nothing:
 * a failure closes what this call opened and throws (a taken host port is Docker's conflict).
 */
export function hostPortsPublishHook(options: HostPortsClientOptions = {}): {
  published(publications: GuestPublication[]): Promise<void>;
  unpublished(publications: GuestPublication[]): Promise<void>;
} {
  const mapping = (p: GuestPublication): PortMapping => ({ proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, guestPort: p.containerPort, guestAddress: p.containerIp });
  return {
    async published(publications) {
      const done: GuestPublication[] = [];
      try {
        for (const publication of publications) {
          await publishHostPort(mapping(publication), options);
          done.push(publication);
        }
      } catch (error) {
        for (const publication of done) await unpublishHostPort(publication, options).catch(() => undefined);
        throw error;
      }
    },
    async unpublished(publications) {
      for (const publication of publications) await unpublishHostPort(publication, options).catch(() => undefined);
    },
  };
}
