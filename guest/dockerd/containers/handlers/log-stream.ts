/**
 * Streaming a json-file log to a client (`docker logs`, attach's `logs=1` replay): entries read a
 * block at a time from a LogCursor, formatted (timestamps, details) into the OutputBatcher's
 * buffers, each written before the next block is read. `follow` keeps reading as the log's writer
 * appends, until the run's output has ended and been read, or the client left.
 */
import type { JsonLogWriter } from '../io/json-log.js';
import { detailsPrefix } from '../io/log-attrs.js';
import { LogCursor, matches, type LogQuery } from '../io/log-reader.js';
import type { LiveContainer } from '../service/live-container.js';
import type { OutputBatcher } from './stream-output.js';

export interface EntryFormat {
  timestamps: boolean;
  /** `details`: the line's extra attributes before it (after the timestamp), as Docker prints them. */
  details: boolean;
}

/** Sends what the file holds from the cursor on; false when the client went away. */
export async function sendLog(cursor: LogCursor, query: LogQuery, format: EntryFormat, out: OutputBatcher): Promise<boolean> {
  for (let entries = await cursor.next(); entries !== null; entries = await cursor.next()) {
    if (out.gone) return false;
    for (const entry of entries) {
      if (!matches(entry, query)) continue;
      const line = format.details ? detailsPrefix(entry.attrs) + entry.log : entry.log;
      out.add(entry.stream, format.timestamps ? `${entry.time} ${line}` : line);
    }
    if (out.full && !(await out.flush())) return false;
  }
  return out.flush();
}

/** Reads a log from `tail` lines before its end; with `live`, follows it while the run's output lasts. */
export async function streamLog(path: string, query: LogQuery, format: EntryFormat, out: OutputBatcher, live?: LiveContainer): Promise<void> {
  const cursor = await LogCursor.open(path);
  if (!cursor) return;
  try {
    // Listening before the first read: an append in between is not lost.
    const follow = live?.log && !live.stdio?.ended ? watch(live, live.log, out) : undefined;
    await cursor.seekTail(query.tail);
    try {
      while ((await sendLog(cursor, query, format, out)) && follow && !follow.finished) await follow.changed();
      // The output ended: once the writer has put the last lines in the file, they are sent.
      if (follow?.finished && !out.gone) {
        await follow.writer.idle();
        await sendLog(cursor, query, format, out);
      }
    } finally {
      follow?.stop();
    }
  } finally {
    await cursor.close();
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
