/**
 * Detach keys: the key sequence that, typed into an attached terminal, leaves the container
 * running and ends the attach (default ctrl-p ctrl-q). `detachKeys` is Docker's text form:
 * comma-separated keys, each one character or `ctrl-<a-z @ [ \ ] ^ _>`. The scanner watches the
 * client's input: bytes that may start the sequence are held back until they either complete it
 * (detach; they are never sent) or stop matching (sent as typed).
 */
import { TsdError } from '../../../api/errors.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const CTRL_SPECIAL: Readonly<Record<string, number>> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

/** Docker's term.ToBytes; the daemon's error for bad keys is 400 "Invalid detach keys (…) provided". */
export function parseDetachKeys(text: string): Buffer {
  const invalid = (): TsdError => new TsdError('invalid-argument', `Invalid detach keys (${text}) provided`);
  const bytes: number[] = [];
  for (const key of text.split(',')) {
    if (key.length === 1) {
      bytes.push(key.charCodeAt(0));
      continue;
    }
    const ctrl = /^ctrl-(.)$/.exec(key);
    if (!ctrl) throw invalid();
    const c = ctrl[1]!;
    if (c >= 'a' && c <= 'z') bytes.push(c.charCodeAt(0) - 96);
    else if (c in CTRL_SPECIAL) bytes.push(CTRL_SPECIAL[c]!);
    else throw invalid();
  }
  if (bytes.length === 0 || bytes.some((b) => b > 0x7f)) throw invalid();
  return Buffer.from(bytes);
}

export class DetachScanner {
  /** How many bytes of the sequence the input has matched so far (held back, not yet sent). */
  #matched = 0;

  constructor(readonly keys: Buffer) {}

  /** The bytes to pass on, and whether the sequence was completed (the rest of the chunk is dropped). */
  push(chunk: Buffer): { forward: Buffer; detached: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.#matched]) {
        this.#matched++;
        if (this.#matched === this.keys.length) return { forward: Buffer.from(out), detached: true };
        continue;
      }
      // The held-back prefix was ordinary input after all; this byte may start a new match.
      for (let i = 0; i < this.#matched; i++) out.push(this.keys[i]!);
      this.#matched = 0;
      if (byte === this.keys[0]) this.#matched = 1;
      else out.push(byte);
      if (this.#matched === this.keys.length) return { forward: Buffer.from(out), detached: true };
    }
    return { forward: Buffer.from(out), detached: false };
  }
}
