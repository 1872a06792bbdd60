/** clock_settime(CLOCK_REALTIME): sets the wall clock with millisecond precision. */
import { TsdError } from '../api/errors.js';
import { check, libc } from './libc.js';

const CLOCK_REALTIME = 0;

export function setWallClock(epochMs: number): void {
  if (!Number.isFinite(epochMs) || epochMs <= 0) throw new TsdError('invalid-argument', `not a time in ms since the epoch: ${epochMs}`);
  const ms = Math.trunc(epochMs);
  const ts = { tv_sec: Math.floor(ms / 1000), tv_nsec: (ms % 1000) * 1_000_000 };
  check('clock_settime', libc().clock_settime(CLOCK_REALTIME, ts));
}
