/**
 * `tsd exec`: create an exec instance, start it hijacked (or detached with -d), follow the
 * terminal size with -t, and resolve with its exit code from GET /exec/{id}/json.
 */
import { attachToTerminal, type Stdio } from '../attach-session.js';
import type { EngineClient } from '../engine-client.js';
import type { ExecInspect } from '../engine-types.js';

export interface ExecOptions {
  interactive: boolean;
  tty: boolean;
  detach: boolean;
  user?: string;
  workdir?: string;
  env: string[];
  privileged: boolean;
}

export async function execInContainer(client: EngineClient, container: string, command: string[], options: ExecOptions, stdio: Stdio): Promise<number> {
  const attached = !options.detach;
  const created = await client.json<{ Id: string }>('POST', `/containers/${encodeURIComponent(container)}/exec`, {
    body: {
      Cmd: command,
      AttachStdin: options.interactive && attached,
      AttachStdout: attached,
      AttachStderr: attached,
      Tty: options.tty,
      Env: options.env.length > 0 ? options.env : undefined,
      User: options.user,
      WorkingDir: options.workdir,
      Privileged: options.privileged,
    },
  });
  const id = created.Id;
  if (options.detach) {
    await client.json('POST', `/exec/${id}/start`, { body: { Detach: true, Tty: options.tty } });
    return 0;
  }
  const socket = await client.hijack('POST', `/exec/${id}/start`, { body: { Detach: false, Tty: options.tty } });
  const session = attachToTerminal(socket, stdio, {
    tty: options.tty,
    stdin: options.interactive,
    resize: ({ rows, cols }) => void client.json('POST', `/exec/${id}/resize`, { query: { h: rows, w: cols } }).catch(() => undefined),
  });
  try {
    session.sendSize();
    await session.done;
  } finally {
    session.close();
  }
  const inspect = await client.json<ExecInspect>('GET', `/exec/${id}/json`);
  return inspect.ExitCode ?? 0;
}
