/**
 * The one table mapping TsdError codes to Engine API HTTP statuses. Bodies follow Docker:
 * `{"message": "..."}` with Content-Type application/json.
 */
import type { ServerResponse } from 'node:http';
import { asTsdError, type ErrorCode } from '../api/errors.js';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  'invalid-argument': 400,
  'not-found': 404,
  'already-exists': 409,
  conflict: 409,
  unavailable: 503,
  unsupported: 501,
  internal: 500,
};

export function sendError(res: ServerResponse, error: unknown): void {
  const tsdError = asTsdError(error);
  sendJson(res, HTTP_STATUS[tsdError.code], { message: tsdError.message });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
