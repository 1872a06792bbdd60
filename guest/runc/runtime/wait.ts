/** Explicit waiting: poll a condition until it holds or the deadline passes, with a message. */
import { TsdError } from '../../api/errors.js';

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new TsdError('unavailable', `timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
}
