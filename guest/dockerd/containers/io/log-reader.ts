/**
 * Reading a json-file log for `docker logs`: the query (streams, since/until in seconds with an
 * optional fraction or RFC 3339, tail) and a cursor over the file that hands out entries one read
 * (~64 KiB) at a time, so memory stays bounded whatever the log's size. As in Docker's json-file,
 * `tail` counts the file's last lines (found by reading backwards from the end); the stream and
 * time filters apply to those.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { TsdError } from '../../../api/errors.js';
import type { LogEntry, LogStream } from './json-log.js';

export interface LogQuery {
  streams: ReadonlySet<LogStream>;
  /** Nanoseconds since the epoch; 0 = from the start. */
  sinceNs: bigint;
  /** Nanoseconds since the epoch; 0 = no end. */
  untilNs: bigint;
  /** Last N lines; -1 = all. */
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

const READ_SIZE = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * A position in a json-file log. `next()` returns the complete lines after the position (up to
 * one read), or null when there is no complete line yet; a line still being written stays for
 * the next call, so following a growing file works by calling `next()` again.
 */
export class LogCursor {
  #buffer = Buffer.allocUnsafe(READ_SIZE);

  private constructor(readonly file: FileHandle, public position: number) {}

  /** Null when the file does not exist (a container that never ran). */
  static async open(path: string): Promise<LogCursor | null> {
    try {
      return new LogCursor(await open(path, 'r'), 0);
    } catch {
      return null;
    }
  }

  /** A cursor at the start of an already open file (a rotated one). */
  static of(file: FileHandle): LogCursor {
    return new LogCursor(file, 0);
  }

  /**
   * Moves to the start of the last `lines` lines (reading backwards, one block at a time); returns
   * how many lines that is (fewer when the file has fewer: the rest is in older files).
   */
  async seekTail(lines: number): Promise<number> {
    let end = (await this.file.stat()).size;
    this.position = end;
    if (lines < 0) {
      this.position = 0;
      return -1;
    }
    if (lines === 0 || end === 0) return 0;
    // The newline before the last `lines` complete lines is the (lines + 1)th from the end.
    let wanted = lines + 1;
    while (end > 0) {
      const start = Math.max(0, end - READ_SIZE);
      const { bytesRead } = await this.file.read(this.#buffer, 0, end - start, start);
      for (let at = bytesRead - 1; at >= 0; at--) {
        if (this.#buffer[at] !== NEWLINE) continue;
        if (--wanted === 0) {
          this.position = start + at + 1;
          return lines;
        }
      }
      end = start;
    }
    this.position = 0;
    return lines + 1 - wanted;
  }

  async next(): Promise<LogEntry[] | null> {
    for (;;) {
      const { bytesRead } = await this.file.read(this.#buffer, 0, this.#buffer.length, this.position);
      const last = this.#buffer.lastIndexOf(NEWLINE, bytesRead - 1);
      if (bytesRead > 0 && last >= 0) return this.#parse(last + 1);
      // One line longer than the buffer: grow it (lines are at most 16 KiB of output, escaped).
      if (bytesRead < this.#buffer.length) return null;
      this.#buffer = Buffer.allocUnsafe(this.#buffer.length * 2);
    }
  }

  #parse(length: number): LogEntry[] {
    const entries: LogEntry[] = [];
    for (let start = 0; start < length; ) {
      const end = this.#buffer.indexOf(NEWLINE, start);
      if (end > start) {
        try {
          entries.push(JSON.parse(this.#buffer.toString('utf8', start, end)) as LogEntry);
        } catch {
          // a line cut by a crash
        }
      }
      start = end + 1;
    }
    this.position += length;
    return entries;
  }

  close(): Promise<void> {
    return this.file.close().catch(() => undefined);
  }
}
