/**
 * Chunked JSON streams (pull/push/load progress, events): 200 with application/json, one JSON
 * object per line, written as they happen. The status line is sent with the first message, so a
 * failure before any output is still a normal error response with its status code (404 for an
 * unknown image, as dockerd answers); a failure after it is the in-band
 * `{"errorDetail": {"message"}, "error"}` object. `signal` aborts when the client goes away, so
 * producers stop work instead of writing into a dead socket.
 */
import type { ServerResponse } from 'node:http';
import { asTsdError } from '../../api/errors.js';
import { sendError } from '../error-table.js';

export interface JsonStream {
  /** Sends the status line and headers now (streams that may stay silent, like /events). */
  open(): void;
  send(message: unknown): void;
  /** Writes already-serialised text (one JSON object and its newline). */
  sendRaw(text: string): void;
  /** Ends with an error: an error response before any output, Docker's in-band error object after. */
  fail(error: unknown): void;
  end(): void;
  /** True once the client disconnected (or the stream ended). */
  readonly closed: boolean;
  /** Aborted when the client disconnects: pass it to long work. */
  readonly signal: AbortSignal;
}

export function startJsonStream(res: ServerResponse, contentType = 'application/json'): JsonStream {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  res.on('error', () => undefined); // a reset socket must not become an unhandled error
  const writable = (): boolean => !res.destroyed && !res.writableEnded;
  const open = (): void => {
    if (res.headersSent || !writable()) return;
    res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache' });
    res.flushHeaders();
  };
  const sendRaw = (text: string): void => {
    open();
    if (writable()) res.write(text);
  };
  return {
    open,
    sendRaw,
    send: (message) => sendRaw(JSON.stringify(message) + '\n'),
    fail(error) {
      if (!writable()) return;
      if (!res.headersSent) {
        sendError(res, error);
        return;
      }
      const message = asTsdError(error).message;
      res.end(JSON.stringify({ errorDetail: { message }, error: message }) + '\n');
    },
    end() {
      open();
      if (writable()) res.end();
    },
    get closed() {
      return !writable();
    },
    signal: abort.signal,
  };
}
