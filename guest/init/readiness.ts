/**
 * Readiness checks, as data: the init says "ready" only once the services answer, so that the
 * line in the serial log means the machine can be used.
 */
import { connect, type NetConnectOpts } from 'node:net';
import { TsdError } from '../api/errors.js';

export interface ReadinessCheck {
  description: string;
  /** Where to connect: a TCP port or a unix socket. */
  target: NetConnectOpts;
  /** Where to look when it never gets ready. */
  hint: string;
}

export function canConnect(target: NetConnectOpts): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(target);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits until every check connects; onReady hears of each as it does (the console line the boot benchmark reads). */
export async function waitUntilReady(
  checks: ReadinessCheck[],
  timeoutMs: number,
  intervalMs = 50,
  onReady: (check: ReadinessCheck) => void = () => {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(checks);
  while (pending.size > 0) {
    for (const check of [...pending]) {
      if (!(await canConnect(check.target))) continue;
      pending.delete(check);
      onReady(check);
    }
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      const failed = [...pending].map((check) => `${check.description} (see ${check.hint})`).join('; ');
      throw new TsdError('unavailable', `not ready after ${timeoutMs} ms: ${failed}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
