/**
 * Reading a json-file log for `docker logs`: entries filtered by stream, since/until (seconds
 * with optional fraction, or RFC 3339) and tail, in file order.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { TsdError } from '../../../api/errors.js';
import type { LogEntry, LogStream } from './json-log.js';

export interface LogQuery {
  streams: ReadonlySet<LogStream>;
  /** Nanoseconds since the epoch; 0 = from the start. */
  sinceNs: bigint;
  /** Nanoseconds since the epoch; 0 = no end. */
  untilNs: bigint;
  /** Last N entries; -1 = all. */
  tail: number;
}

/** "1700000000", "1700000000.123456789" or an RFC 3339 time → nanoseconds. */
export function parseLogTime(value: string | null, name: string): bigint {
  if (value === null || value === '' || value === '0') return 0n;
  const match = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (match) return BigInt(match[1]!) * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new TsdError('invalid-argument', `invalid value for "${name}": failed to parse value as time or duration: "${value}"`);
  return BigInt(ms) * 1_000_000n;
}

export function parseTail(value: string | null): number {
  if (value === null || value === '' || value === 'all') return -1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) return -1;
  return n;
}

/** An entry's time in nanoseconds (the file keeps nanosecond precision). */
export function entryNanos(entry: LogEntry): bigint {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(entry.time);
  if (!match) return 0n;
  const seconds = BigInt(Date.parse(`${match[1]}Z`)) / 1000n;
  return seconds * 1_000_000_000n + BigInt((match[2] ?? '').slice(0, 9).padEnd(9, '0'));
}

export function matches(entry: LogEntry, query: LogQuery): boolean {
  if (!query.streams.has(entry.stream)) return false;
  if (query.sinceNs === 0n && query.untilNs === 0n) return true;
  const t = entryNanos(entry);
  return t >= query.sinceNs && (query.untilNs === 0n || t <= query.untilNs);
}

export async function readLog(path: string, query: LogQuery): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  if (query.tail === 0) return entries;
  let input: ReturnType<typeof createReadStream>;
  try {
    input = createReadStream(path, { encoding: 'utf8' });
    await new Promise<void>((resolve, reject) => {
      input.once('open', () => resolve());
      input.once('error', reject);
    });
  } catch {
    return entries;
  }
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (!line) continue;
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      continue; // a line cut by a crash
    }
    if (!matches(entry, query)) continue;
    entries.push(entry);
    if (query.tail > 0 && entries.length > query.tail) entries.shift();
  }
  return entries;
}
