/**
 * The one error type of tsd, shared by host and guest code.
 *
 * Every failure that crosses a boundary (CLI exit code, Engine API status, gRPC status)
 * is a TsdError with a code from this union; each boundary maps codes in one table.
 */
export type ErrorCode =
  | 'not-found'
  | 'already-exists'
  | 'invalid-argument'
  | 'conflict'
  | 'unavailable'
  | 'unsupported'
  | 'internal';

export class TsdError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TsdError';
    this.code = code;
  }
}

export function isTsdError(value: unknown): value is TsdError {
  return value instanceof TsdError;
}

/** Wraps anything thrown into a TsdError, keeping TsdErrors as they are. */
export function asTsdError(value: unknown): TsdError {
  if (value instanceof TsdError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new TsdError('internal', message, { cause: value });
}
