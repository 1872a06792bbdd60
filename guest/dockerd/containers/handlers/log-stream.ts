/**
 * Streaming a json-file log to a client (`docker logs`, attach's `logs=1` replay): entries read a
 * block at a time from LogCursors (rotated files, then the current one), formatted (timestamps,
 * details) into the OutputBatcher's buffers, each written before the next block is read. `follow`
 * keeps reading as the log's writer appends (across rotations), until the run's output has ended
 * and been read, the client left, or an entry after `until` came (Docker's json-file does the same:
 * with until in the past the read ends at the first newer entry; in the future, when one is logged).
 */
import type { JsonLogWriter } from '../io/json-log.js';
import { detailsPrefix } from '../io/log-attrs.js';
import { inflateRotated, openRotatedFiles } from '../io/log-files.js';
import { entryNanos, LogCursor, matches, type LogQuery } from '../io/log-reader.js';
import type { LiveContainer } from '../service/live-container.js';
import type { OutputBatcher } from './stream-output.js';

export interface EntryFormat {
  timestamps: boolean;
  /** `details`: the line's extra attributes before it (after the timestamp), as Docker prints them. */
  details: boolean;
}

/** How a read ended: the file's end reached (more may come), the client gone, or an entry past `until`. */
export type SendResult = 'more' | 'gone' | 'until';

/** Sends what the file holds from the cursor on. Like Docker, the first entry after `until` ends the read. */
export async function sendLog(cursor: LogCursor, query: LogQuery, format: EntryFormat, out: OutputBatcher): Promise<SendResult> {
  for (let entries = await cursor.next(); entries !== null; entries = await cursor.next()) {
    if (out.gone) return 'gone';
    for (const entry of entries) {
      if (query.untilNs !== 0n && entryNanos(entry) > query.untilNs) return (await out.flush()) ? 'until' : 'gone';
      if (!matches(entry, query)) continue;
      const line = format.details ? detailsPrefix(entry.attrs) + entry.log : entry.log;
      out.add(entry.stream, format.timestamps ? `${entry.time} ${line}` : line);
    }
    if (out.full && !(await out.flush())) return 'gone';
  }
  return (await out.flush()) ? 'more' : 'gone';
}

export interface StreamOptions {
  /** max-file of the log: how many rotated files may exist beside the current one (+1). */
  maxFiles: number;
  /** Follow the log while this run's output lasts (docker logs -f of a running container). */
  live?: LiveContainer;
  /** The log's writer when the container runs: files are opened between its writes (no rotation then). */
  writer?: JsonLogWriter;
}

/**
 * Reads a log (its rotated files, oldest first, then the current one) from `tail` lines before
 * its end; when following, reads on as the writer appends, moving to the new file at each rotation.
 */
export async function streamLog(path: string, query: LogQuery, format: EntryFormat, out: OutputBatcher, options: StreamOptions = { maxFiles: 1 }): Promise<void> {
  const { live } = options;
  const writer = live?.log ?? options.writer;
  // Listening before the first read: an append in between is not lost.
  const follow = live && writer && !live.stdio?.ended ? watch(live, writer, out) : undefined;
  const openAll = async () => ({
    rotated: query.tail !== 0 ? await openRotatedFiles(path, options.maxFiles - 1) : [],
    current: await LogCursor.open(path),
    rotations: writer?.rotations ?? 0,
  });
  const opened = writer ? await writer.exclusive(openAll) : await openAll();
  const cursors: LogCursor[] = [];
  try {
    cursors.push(...(await inflateRotated(path, opened.rotated, query.sinceNs)).map((file) => LogCursor.of(file)));
    if (!opened.current) return;
    let current = opened.current;
    cursors.push(current);
    // The last `tail` lines may start in an older file: count back through them.
    let first = 0;
    if (query.tail >= 0) {
      first = cursors.length - 1;
      let needed = query.tail - (await current.seekTail(query.tail));
      while (needed > 0 && first > 0) needed -= await cursors[--first]!.seekTail(needed);
    }
    for (let i = first; i < cursors.length - 1; i++) {
      if ((await sendLog(cursors[i]!, query, format, out)) !== 'more') return;
    }
    let rotations = opened.rotations;
    /** Reads the current file to its end, moving on to the next file for each rotation seen. */
    const readCurrent = async (): Promise<SendResult> => {
      for (;;) {
        const result = await sendLog(current, query, format, out);
        if (result !== 'more' || !writer || writer.rotations === rotations) return result;
        // Rotated: the file read so far is complete (writes and rotations are serialized); read
        // its last lines, then go on in the file that replaced it.
        const rest = await sendLog(current, query, format, out);
        if (rest !== 'more') return rest;
        // Several rotations since: the files made in between are `.N-1` … `.1` (as far as max-file kept them).
        const next = await writer.exclusive(async () => ({
          between: await openRotatedFiles(path, Math.min(writer.rotations - rotations, options.maxFiles) - 1),
          cursor: await LogCursor.open(path),
          rotations: writer.rotations,
        }));
        rotations = next.rotations;
        for (const file of await inflateRotated(path, next.between, query.sinceNs)) {
          const cursor = LogCursor.of(file);
          cursors.push(cursor);
          const result = await sendLog(cursor, query, format, out);
          if (result !== 'more') return result;
        }
        if (!next.cursor) return 'more';
        current = next.cursor;
        cursors.push(current);
      }
    };
    for (;;) {
      if ((await readCurrent()) !== 'more' || !follow) return;
      if (follow.finished) {
        // The output ended: once the writer has put the last lines in the file, they are sent.
        if (!out.gone) {
          await follow.writer.idle();
          await readCurrent();
        }
        return;
      }
      await follow.changed();
    }
  } finally {
    follow?.stop();
    for (const cursor of cursors) await cursor.close();
  }
}

interface Follow {
  writer: JsonLogWriter;
  readonly finished: boolean;
  /** Resolves at the next append, the end of the output, or the client leaving (at once if one came since the last call). */
  changed(): Promise<void>;
  stop(): void;
}

function watch(live: LiveContainer, writer: JsonLogWriter, out: OutputBatcher): Follow {
  let dirty = false;
  let finished = false;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    dirty = true;
    wake?.();
  };
  const end = (): void => {
    finished = true;
    poke();
  };
  const unsubscribe = writer.onAppend(poke);
  live.once('output-end', end);
  live.once('removed', end);
  out.target.once('close', end);
  return {
    writer,
    get finished() {
      return finished;
    },
    async changed() {
      if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      dirty = false;
    },
    stop() {
      unsubscribe();
      live.off('output-end', end);
      live.off('removed', end);
      out.target.off('close', end);
    },
  };
}
