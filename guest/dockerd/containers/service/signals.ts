/** Signal names as Docker accepts them ("SIGTERM", "TERM", "15", "sigkill") → numbers. */
import { constants } from 'node:os';
import { TsdError } from '../../../api/errors.js';

const SIGNALS = constants.signals as Record<string, number>;

export function parseSignal(value: string | number | undefined, fallback = 'SIGTERM'): number {
  const text = String(value ?? '').trim() || fallback;
  if (/^\d+$/.test(text)) {
    const number = Number(text);
    if (number < 1 || number > 64) throw new TsdError('invalid-argument', `Invalid signal: ${text}`);
    return number;
  }
  const upper = text.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const number = SIGNALS[name];
  if (number === undefined) throw new TsdError('invalid-argument', `Invalid signal: ${text}`);
  return number;
}
