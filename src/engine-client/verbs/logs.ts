/**
 * `tsd logs`: GET /containers/{id}/logs, multiplexed unless the container has a tty (its
 * Config.Tty says which). `--since` takes what docker takes: a Unix time, an RFC 3339 time or a
 * duration such as 10m or 1h30m (relative to now).
 */
import { TsdError } from '../../../guest/api/errors.js';
import type { Stdio } from '../attach-session.js';
import type { EngineClient } from '../engine-client.js';
import type { ContainerInspect } from '../engine-types.js';
import { StdcopyDemuxer } from '../stdcopy.js';

export interface LogsOptions {
  follow: boolean;
  tail?: string;
  since?: string;
  until?: string;
  timestamps: boolean;
}

export async function streamLogs(client: EngineClient, container: string, options: LogsOptions, stdio: Pick<Stdio, 'stdout' | 'stderr'>): Promise<void> {
  const info = await client.json<ContainerInspect>('GET', `/containers/${encodeURIComponent(container)}/json`);
  const response = await client.stream('GET', `/containers/${encodeURIComponent(container)}/logs`, {
    query: {
      stdout: true,
      stderr: true,
      follow: options.follow,
      tail: options.tail,
      since: options.since === undefined ? undefined : logTime(options.since, Date.now()),
      until: options.until === undefined ? undefined : logTime(options.until, Date.now()),
      timestamps: options.timestamps,
    },
  });
  const demux = info.Config.Tty ? undefined : new StdcopyDemuxer();
  for await (const chunk of response) {
    if (demux === undefined) stdio.stdout.write(chunk as Buffer);
    else for (const frame of demux.push(chunk as Buffer)) (frame.stream === 'stderr' ? stdio.stderr : stdio.stdout).write(frame.payload);
  }
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** docker's --since/--until value → Unix seconds (as a string the API takes). */
export function logTime(value: string, nowMs: number): string {
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value)) {
    let seconds = 0;
    for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) seconds += Number(amount) * DURATION_UNITS[unit!]!;
    return String(Math.floor(nowMs / 1000 - seconds));
  }
  const parsed = Date.parse(value);
  if (!Number.isNaN(parsed)) return String(Math.floor(parsed / 1000));
  throw new TsdError('invalid-argument', `invalid time "${value}": use a Unix time, an RFC 3339 time or a duration like 10m`);
}
