/** Signal names and numbers as runc accepts them: "KILL", "SIGKILL", "9". */
import { constants } from 'node:os';
import { TsdError } from '../../api/errors.js';

export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n > 0 && n < 65) return n;
  } else {
    const name = (text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`) as NodeJS.Signals;
    const n = constants.signals[name];
    if (n !== undefined) return n;
  }
  throw new TsdError('invalid-argument', `unknown signal "${text}"`);
}
