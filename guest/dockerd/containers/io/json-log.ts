/**
 * The json-file log driver: one JSON object per line, {"log": "<line>\n", "stream": "stdout",
 * "attrs": {…} (only when log options ask for extra attributes), "time": "<RFC 3339 nanos>"}, in DATA_ROOT/containers/<id>/<id>-json.log. Output is split at
 * newlines; a partial line is written when it reaches 16 KiB or the stream ends (Docker's rules).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { rotateLogFiles } from './log-files.js';
import { compressLogFile } from './log-gzip.js';
import { NO_ROTATION, type LogRotation } from './log-options.js';

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  log: string;
  stream: LogStream;
  /** Extra attributes from the log options (labels, env, tag), as Docker's json-file stores them. */
  attrs?: Record<string, string>;
  time: string;
}

const MAX_LINE = 16 * 1024;

/** Nanosecond-looking RFC 3339 times that strictly increase within the process (sorting and since/until stay exact). */
let lastMicros = 0;
// The date and time to the second, formatted once per second (a log takes thousands of lines a second).
let prefixSecond = -1;
let prefix = '';
export function logTime(): string {
  let micros = Date.now() * 1000;
  if (micros <= lastMicros) micros = lastMicros + 1;
  lastMicros = micros;
  const second = Math.floor(micros / 1_000_000);
  if (second !== prefixSecond) {
    prefixSecond = second;
    prefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  return `${prefix}.${String(micros % 1_000_000).padStart(6, '0')}000Z`;
}

/** Splits a byte stream into lines (each with its "\n"), keeping the tail for the next chunk. */
export class LineSplitter {
  #pending = '';

  push(text: string): string[] {
    const lines: string[] = [];
    const rest = this.#pending + text;
    let start = 0;
    for (let at = rest.indexOf('\n'); at >= 0; at = rest.indexOf('\n', start)) {
      // A line longer than 16 KiB leaves in 16 KiB parts, as the partial lines of a stream do.
      for (; at + 1 - start > MAX_LINE; start += MAX_LINE) lines.push(rest.slice(start, start + MAX_LINE));
      lines.push(rest.slice(start, at + 1));
      start = at + 1;
    }
    for (; rest.length - start >= MAX_LINE; start += MAX_LINE) lines.push(rest.slice(start, start + MAX_LINE));
    this.#pending = rest.slice(start);
    return lines;
  }

  flush(): string[] {
    const rest = this.#pending;
    this.#pending = '';
    return rest === '' ? [] : [rest];
  }
}

/**
 * Writes one container's output to its json-file log: each chunk read from the FIFOs becomes one
 * file write of all its lines (split where a rotation falls between them). Writes, rotations and
 * the readers' `exclusive` sections run one after another on one queue, so a reader never sees a
 * half-made rotation. Readers following the log (`docker logs -f`) are told after each write has
 * reached the file, and read it from there; `rotations` tells them the file was replaced.
 *
 * Rotation is Docker's: before an entry is written, a file that has reached max-size is rotated,
 * so a file holds at least one entry and ends at most one entry past max-size.
 */
export class JsonLogWriter {
  readonly #splitters: Record<LogStream, LineSplitter> = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  // A multi-byte character may be cut between two reads: decode per stream, across chunks.
  readonly #decoders: Record<LogStream, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  readonly #listeners = new Set<() => void>();
  #pending = 0;
  #idle: Array<() => void> = [];
  #queue: Promise<void>;
  #file: FileHandle | undefined;
  #size = 0;
  #lastTime: string | undefined;
  /** How many times the current file was replaced since this writer opened it. */
  rotations = 0;

  /** `,"attrs":{…}` when log options asked for attributes, else empty: the same on every line. */
  readonly #attrs: string;

  constructor(readonly path: string, attrs: Record<string, string> = {}, readonly rotation: LogRotation = NO_ROTATION) {
    this.#attrs = Object.keys(attrs).length > 0 ? `,"attrs":${JSON.stringify(attrs)}` : '';
    this.#queue = this.#openCurrent('a').catch(() => undefined);
  }

  write(stream: LogStream, chunk: Buffer): void {
    this.#append(stream, this.#splitters[stream].push(this.#decoders[stream].write(chunk)));
  }

  /** Writes what is left of partial lines (the stream ended). */
  flush(stream: LogStream): void {
    const splitter = this.#splitters[stream];
    this.#append(stream, [...splitter.push(this.#decoders[stream].end()), ...splitter.flush()]);
  }

  /** Called after each write that reached the file; returns the unsubscribe. */
  onAppend(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves when everything written so far is in the file. */
  idle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Runs `action` between two writes: no rotation happens while it runs (readers open the files here). */
  exclusive<T>(action: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(action);
    this.#queue = result.then(() => undefined, () => undefined);
    return result;
  }

  async close(): Promise<void> {
    await this.#queue;
    await this.#file?.close().catch(() => undefined);
    this.#file = undefined;
  }

  #append(stream: LogStream, lines: string[]): void {
    if (lines.length === 0) return;
    const entries: string[] = [];
    let last = '';
    // Written out rather than JSON.stringify of a LogEntry: the same bytes, without an object per line.
    for (const line of lines) {
      last = logTime();
      entries.push(`{"log":${JSON.stringify(line)},"stream":"${stream}"${this.#attrs},"time":"${last}"}\n`);
    }
    this.#pending++;
    this.#queue = this.#queue
      .then(() => this.#writeEntries(entries, last))
      .catch(() => undefined) // a full disk loses lines, as Docker's driver does; the container runs on
      .then(() => {
        this.#pending--;
        for (const listener of this.#listeners) listener();
        if (this.#pending === 0) for (const resolve of this.#idle.splice(0)) resolve();
      });
  }

  async #writeEntries(entries: string[], lastTime: string): Promise<void> {
    const { maxSize } = this.rotation;
    if (maxSize < 0) {
      const text = entries.join('');
      await this.#writeText(text, Buffer.byteLength(text));
      this.#lastTime = lastTime;
      return;
    }
    let batch = '';
    let batchBytes = 0;
    for (const entry of entries) {
      if (this.#size + batchBytes >= maxSize) {
        await this.#writeText(batch, batchBytes);
        batch = '';
        batchBytes = 0;
        await this.#rotate();
      }
      batch += entry;
      batchBytes += Buffer.byteLength(entry);
      this.#lastTime = entryTime(entry);
    }
    await this.#writeText(batch, batchBytes);
  }

  async #writeText(text: string, bytes: number): Promise<void> {
    if (bytes === 0) return;
    if (!this.#file) await this.#openCurrent('a');
    // writeFile: every byte, in as many writes as it takes (one write() may be short).
    await this.#file!.writeFile(text);
    this.#size += bytes;
  }

  async #openCurrent(flags: 'a' | 'w'): Promise<void> {
    this.#file = await open(this.path, flags, 0o640);
    this.#size = flags === 'a' ? (await this.#file.stat()).size : 0;
  }

  async #rotate(): Promise<void> {
    const { maxFiles, compress } = this.rotation;
    await this.#file?.close().catch(() => undefined);
    this.#file = undefined;
    await rotateLogFiles(this.path, maxFiles, compress);
    // Truncating as well: a rotation that could not rename still starts an empty file.
    await this.#openCurrent('w');
    this.rotations++;
    if (compress && maxFiles > 1) await compressLogFile(`${this.path}.1`, this.#lastTime).catch(() => undefined);
  }
}

/** The "time" of one serialized entry (its last field). */
function entryTime(entry: string): string {
  return entry.slice(entry.lastIndexOf('"time":"') + 8, -3);
}
