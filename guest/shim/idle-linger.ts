/**
 * How long an idle group shim stays after its last task, client and reservation are gone. Each
 * `docker run --rm` deletes its task at the end; a shim that left at once made the next run start
 * a new Node server (hundreds of ms). Lingering lets back-to-back runs reuse the live one.
 * TSD_SHIM_IDLE_SECONDS (in the environment containerd gives its shims) sets it; 0 leaves at once.
 */
import { TsdError } from '../api/errors.js';

export const IDLE_LINGER_ENV = 'TSD_SHIM_IDLE_SECONDS';
const DEFAULT_LINGER_SECONDS = 30;

/** The grace period in milliseconds; a value that is not a non-negative number is an error. */
export function idleLingerMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[IDLE_LINGER_ENV]?.trim();
  if (text === undefined || text === '') return DEFAULT_LINGER_SECONDS * 1000;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(seconds)) {
    throw new TsdError('invalid-argument', `${IDLE_LINGER_ENV}=${JSON.stringify(text)}: expected a number of seconds (0 or more)`);
  }
  return Math.round(seconds * 1000);
}
