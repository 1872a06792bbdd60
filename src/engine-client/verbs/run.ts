/**
 * `tsd run`, the way the docker CLI does it: create (pulling the image when the engine does not
 * have it), then — attached — attach and wait before start so no output and no exit is missed;
 * detached, start and print the id. Resolves with the exit code: the container's, 125 for engine
 * failures, 126/127 when its command cannot be run or found.
 */
import { TsdError } from '../../../guest/api/errors.js';
import { attachToTerminal, type Stdio } from '../attach-session.js';
import type { EngineClient } from '../engine-client.js';
import { EngineError } from '../engine-errors.js';
import type { ContainerCreateBody, WaitResponse } from '../engine-types.js';
import { CANNOT_INVOKE, ENGINE_FAILED, ExitStatus, NOT_FOUND_COMMAND } from '../verb-command.js';
import { pullImage } from './pull.js';
import { readJson } from './read-json.js';

export interface RunRequest {
  body: ContainerCreateBody;
  name?: string;
  platform?: string;
  detach: boolean;
}

export async function runContainer(client: EngineClient, request: RunRequest, stdio: Stdio): Promise<number> {
  const { body } = request;
  // As the docker CLI does: the tty starts at the window's size (the resize after start comes too late
  // for a shell that reads its size at once).
  if (body.Tty && !request.detach && stdio.stdout.isTTY === true) body.HostConfig.ConsoleSize = [stdio.stdout.rows || 24, stdio.stdout.columns || 80];
  const id = await createContainer(client, request, stdio);
  if (request.detach) {
    await startContainer(client, id, body.HostConfig.AutoRemove === true);
    stdio.stdout.write(`${id}\n`);
    return 0;
  }
  const socket = await client.hijack('POST', `/containers/${id}/attach`, {
    query: { stream: true, stdin: body.AttachStdin, stdout: true, stderr: true },
  });
  const session = attachToTerminal(socket, stdio, {
    tty: body.Tty,
    stdin: body.AttachStdin,
    resize: ({ rows, cols }) => void client.json('POST', `/containers/${id}/resize`, { query: { h: rows, w: cols } }).catch(() => undefined),
  });
  // docker's --sig-proxy: without a tty, Ctrl-C and kill reach the container, not just us.
  const proxy = body.Tty ? undefined : proxySignals((signal) => void client.json('POST', `/containers/${id}/kill`, { query: { signal } }).catch(() => undefined));
  try {
    // Waiting starts before the start, so a fast exit (and --rm's removal) cannot be missed.
    const condition = body.HostConfig.AutoRemove === true ? 'removed' : 'next-exit';
    const wait = client.stream('POST', `/containers/${id}/wait`, { query: { condition } }).then((response) => readJson<WaitResponse>(response));
    wait.catch(() => undefined);
    await startContainer(client, id, body.HostConfig.AutoRemove === true);
    session.sendSize();
    const [result] = await Promise.all([wait, session.done]);
    if (result.Error?.Message) stdio.stderr.write(`tsd: ${result.Error.Message}\n`);
    return result.StatusCode;
  } finally {
    proxy?.();
    session.close();
  }
}

/** Forwards SIGINT and SIGTERM while attached; returns the undo. */
function proxySignals(send: (signal: string) => void): () => void {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const handlers = signals.map((signal) => [signal, () => send(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}

async function createContainer(client: EngineClient, request: RunRequest, stdio: Stdio): Promise<string> {
  const create = () =>
    client.json<{ Id: string; Warnings?: string[] | null }>('POST', '/containers/create', {
      query: { name: request.name, platform: request.platform },
      body: request.body,
    });
  let created: { Id: string; Warnings?: string[] | null };
  try {
    created = await create();
  } catch (error) {
    if (!(error instanceof EngineError && error.status === 404 && /no such image/i.test(error.message))) throw error;
    stdio.stderr.write(`Unable to find image '${request.body.Image}' locally\n`);
    await pullImage(client, request.body.Image, { write: (text) => stdio.stderr.write(text), terminal: stdio.stderr.isTTY === true }, request.platform);
    created = await create();
  }
  for (const warning of created.Warnings ?? []) stdio.stderr.write(`WARNING: ${warning}\n`);
  return created.Id;
}

/** Start; docker's 126/127 when the runtime could not find or execute the command. */
async function startContainer(client: EngineClient, id: string, autoRemove: boolean): Promise<void> {
  try {
    await client.json('POST', `/containers/${id}/start`);
  } catch (error) {
    if (autoRemove) await client.json('DELETE', `/containers/${id}`, { query: { force: true } }).catch(() => undefined);
    const message = error instanceof TsdError ? error.message : String(error);
    throw new ExitStatus(startFailureCode(message), message);
  }
}

export function startFailureCode(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return NOT_FOUND_COMMAND;
  if (/permission denied|exec format error/i.test(message)) return CANNOT_INVOKE;
  return ENGINE_FAILED;
}
