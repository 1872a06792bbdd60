/** What every verb receives: the parsed global flags, the logger and the state store. */
import type { Logger } from './log.js';
import type { FlagSpec, FlagValues } from './args.js';
import type { StateStore } from '../state/store.js';

export interface Context {
  root: string;
  log: Logger;
  store: StateStore;
}

export interface Verb {
  name: string;
  usage: string;
  flags: readonly FlagSpec[];
  /** Returns the process exit code. */
  run(ctx: Context, flags: FlagValues, args: string[]): Promise<number>;
}
