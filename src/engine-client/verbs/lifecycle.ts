/**
 * `tsd start|stop|rm` on one or more containers, as docker does them: each name is tried, the
 * name is printed when it worked, errors are printed as they come, and any failure ends with 1.
 */
import type { EngineClient, Query } from '../engine-client.js';

export type LifecycleVerb = 'start' | 'stop' | 'rm';

export interface LifecycleOptions {
  /** stop: seconds before the kill. */
  time?: number;
  signal?: string;
  /** rm: kill a running container first / remove its anonymous volumes. */
  force?: boolean;
  volumes?: boolean;
}

export interface LifecycleOutput {
  out(line: string): void;
  err(line: string): void;
}

export async function applyToContainers(client: EngineClient, verb: LifecycleVerb, names: string[], options: LifecycleOptions, output: LifecycleOutput): Promise<number> {
  let failed = false;
  for (const name of names) {
    const path = `/containers/${encodeURIComponent(name)}`;
    try {
      if (verb === 'start') await client.json('POST', `${path}/start`);
      else if (verb === 'stop') await client.json('POST', `${path}/stop`, { query: { t: options.time, signal: options.signal } satisfies Query });
      else await client.json('DELETE', path, { query: { force: options.force === true, v: options.volumes === true } });
      output.out(name);
    } catch (error) {
      failed = true;
      output.err(`Error response from daemon: ${(error as Error).message}`);
    }
  }
  return failed ? 1 : 0;
}
