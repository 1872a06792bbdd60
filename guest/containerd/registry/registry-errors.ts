/**
 * Registry error responses (distribution's `{"errors":[{code,message,detail}]}`) → TsdError.
 * One table, so that every caller reports the same failure the same way.
 */
import type { IncomingMessage } from 'node:http';
import { TsdError, type ErrorCode } from '../../api/errors.js';

const CODE_TABLE: Record<string, ErrorCode> = {
  BLOB_UNKNOWN: 'not-found',
  MANIFEST_UNKNOWN: 'not-found',
  NAME_UNKNOWN: 'not-found',
  BLOB_UPLOAD_UNKNOWN: 'not-found',
  UNAUTHORIZED: 'invalid-argument',
  DENIED: 'invalid-argument',
  UNSUPPORTED: 'unsupported',
  TOOMANYREQUESTS: 'unavailable',
  DIGEST_INVALID: 'invalid-argument',
  SIZE_INVALID: 'invalid-argument',
  NAME_INVALID: 'invalid-argument',
  TAG_INVALID: 'invalid-argument',
  MANIFEST_INVALID: 'invalid-argument',
  MANIFEST_BLOB_UNKNOWN: 'invalid-argument',
  MANIFEST_UNVERIFIED: 'invalid-argument',
  BLOB_UPLOAD_INVALID: 'invalid-argument',
  PAGINATION_NUMBER_INVALID: 'invalid-argument',
  RANGE_INVALID: 'invalid-argument',
};

function codeForStatus(status: number): ErrorCode {
  if (status === 404) return 'not-found';
  if (status === 401 || status === 403 || status === 400) return 'invalid-argument';
  if (status === 405 || status === 501) return 'unsupported';
  if (status === 409) return 'conflict';
  if (status === 429 || status >= 500) return 'unavailable';
  return 'internal';
}

/** Reads a failed response's body (bounded) and turns it into a TsdError naming what failed. */
export async function registryError(response: IncomingMessage, what: string): Promise<TsdError> {
  const status = response.statusCode ?? 0;
  const body = await readBounded(response, 64 * 1024).catch(() => '');
  let detail = '';
  let code = codeForStatus(status);
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ code?: string; message?: string }> };
    const first = parsed.errors?.[0];
    if (first?.code) {
      code = CODE_TABLE[first.code] ?? code;
      detail = `${first.code.toLowerCase()}: ${first.message ?? ''}`.trim();
    }
  } catch {
    detail = body.trim().slice(0, 200);
  }
  const prefix = status === 401 || status === 403 ? 'unauthorized: ' : '';
  return new TsdError(code, `${prefix}${what}: HTTP ${status}${detail ? ` (${detail})` : ''}`);
}

export async function readBounded(stream: IncomingMessage, limit: number): Promise<string> {
  return (await readBodyBuffer(stream, limit)).toString('utf8');
}

/** Reads a whole body into memory, failing when it exceeds `limit` bytes. */
export async function readBodyBuffer(stream: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      stream.destroy();
      throw new TsdError('invalid-argument', `response body larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
