/** The CLI's side of the agent's control socket (see control-protocol.ts). */
import { createConnection } from 'node:net';
import { TsdError } from '../../guest/api/errors.js';
import type { ControlRequest, ControlResponse } from './control-protocol.js';

export function sendControl(path: string, request: ControlRequest, timeoutMs = 10_000): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TsdError('unavailable', `the host agent did not answer on ${path}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(text) as ControlResponse);
      } catch {
        reject(new TsdError('unavailable', `the host agent sent a bad answer on ${path}`));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(new TsdError('unavailable', `cannot reach the host agent on ${path}: ${error.message}`, { cause: error }));
    });
  });
}
