/** The agent's side of the control socket (see control-protocol.ts). */
import { createServer, type Server } from 'node:net';
import { rm } from 'node:fs/promises';
import type { ControlRequest, ControlResponse } from './control-protocol.js';

export type ControlHandler = (request: ControlRequest) => Promise<ControlResponse>;

export async function listenControl(path: string, handle: ControlHandler): Promise<Server> {
  const isPipe = path.startsWith('\\\\');
  if (!isPipe) await rm(path, { force: true });
  const server = createServer((socket) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline === -1) return;
      let request: ControlRequest;
      try {
        request = JSON.parse(text.slice(0, newline)) as ControlRequest;
      } catch {
        socket.end(`${JSON.stringify({ ok: false, error: 'bad request' } satisfies ControlResponse)}\n`);
        return;
      }
      handle(request).then(
        (response) => socket.end(`${JSON.stringify(response)}\n`),
        (error: Error) => socket.end(`${JSON.stringify({ ok: false, error: error.message } satisfies ControlResponse)}\n`),
      );
    });
  });
  const previousUmask = isPipe ? undefined : process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } finally {
    if (previousUmask !== undefined) process.umask(previousUmask);
  }
  return server;
}
