/**
 * Engine API errors → TsdError. The daemon answers failures with an HTTP status and a JSON body
 * `{"message": "…"}`; the status says what kind of failure it is (Docker's errdefs), one table.
 */
import { TsdError, type ErrorCode } from '../../guest/api/errors.js';

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'invalid-argument',
  401: 'invalid-argument',
  403: 'invalid-argument',
  404: 'not-found',
  409: 'conflict',
  501: 'unsupported',
  503: 'unavailable',
};

/** An error the engine returned, with its HTTP status kept for callers that need it (404 → pull). */
export class EngineError extends TsdError {
  constructor(readonly status: number, message: string) {
    super(STATUS_CODES[status] ?? 'internal', message);
  }
}

export function engineError(status: number, body: string): EngineError {
  let message = body.trim();
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not JSON: a proxy or an old daemon; keep the text
  }
  return new EngineError(status, message === '' ? `the engine answered HTTP ${status}` : message);
}
