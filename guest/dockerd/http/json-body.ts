/**
 * Reading JSON request bodies the way dockerd does (httputils.ReadJSON): Content-Type must be
 * JSON when a body is sent, an empty body is "got EOF", malformed JSON is "invalid JSON: …", and
 * trailing content is rejected. All are 400. `checkShape` adds field checks in the wording of Go's
 * decoder ("json: cannot unmarshal string into Go struct field Config.Env of type []string") so
 * wrongly typed (and, where asked, unknown) fields are refused instead of ignored.
 */
import type { IncomingMessage } from 'node:http';
import { TsdError } from '../../api/errors.js';

/** Bodies larger than this are refused (413 is not in the error table; 400 says why). */
const DEFAULT_LIMIT = 16 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = DEFAULT_LIMIT): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new TsdError('invalid-argument', `request body too large: more than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function checkContentType(req: IncomingMessage): void {
  const type = req.headers['content-type'];
  if (type === undefined || type === '') return;
  const mime = type.split(';')[0]!.trim().toLowerCase();
  if (mime !== 'application/json') {
    throw new TsdError('invalid-argument', `unsupported Content-Type header (${type}): must be 'application/json'`);
  }
}

/** The parsed body; `undefined` when the request has none and `optional` is set. */
export async function readJson<T = unknown>(req: IncomingMessage, options: { optional?: boolean; limit?: number } = {}): Promise<T> {
  checkContentType(req);
  const text = (await readBody(req, options.limit)).toString('utf8');
  if (text.trim() === '') {
    if (options.optional) return undefined as T;
    throw new TsdError('invalid-argument', 'invalid JSON: got EOF while reading request body');
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    const detail = (error as Error).message;
    if (/Unexpected non-whitespace character after JSON/.test(detail)) throw new TsdError('invalid-argument', 'unexpected content after JSON');
    throw new TsdError('invalid-argument', `invalid JSON: ${detail}`);
  }
}

/** The JSON types a field may have, in Go's spelling for messages. */
export type FieldType = 'string' | 'bool' | 'int' | 'number' | '[]string' | 'map[string]string' | 'object' | 'array' | 'any' | Shape;

/** A struct: field name → type. `strict` refuses unknown fields. */
export interface Shape {
  name: string;
  fields: Record<string, FieldType>;
  strict?: boolean;
}

/** Throws a 400 naming the first field whose type is wrong (null is accepted as Go's zero value). */
export function checkShape(value: unknown, shape: Shape): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TsdError('invalid-argument', `invalid JSON: json: cannot unmarshal ${jsonKind(value)} into Go value of type ${shape.name}`);
  }
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    const type = shape.fields[key];
    if (type === undefined) {
      if (shape.strict) throw new TsdError('invalid-argument', `invalid JSON: json: unknown field "${key}"`);
      continue;
    }
    checkField(field, type, `${shape.name}.${key}`);
  }
}

function checkField(value: unknown, type: FieldType, path: string): void {
  if (value === null || type === 'any') return;
  if (typeof type === 'object') {
    checkShape(value, { ...type, name: type.name });
    return;
  }
  const ok = ((): boolean => {
    switch (type) {
      case 'string': return typeof value === 'string';
      case 'bool': return typeof value === 'boolean';
      case 'int': return typeof value === 'number' && Number.isInteger(value);
      case 'number': return typeof value === 'number';
      case '[]string': return Array.isArray(value) && value.every((v) => typeof v === 'string');
      case 'map[string]string':
        return typeof value === 'object' && !Array.isArray(value) && Object.values(value as object).every((v) => typeof v === 'string');
      case 'object': return typeof value === 'object' && !Array.isArray(value);
      case 'array': return Array.isArray(value);
    }
  })();
  if (!ok) {
    const goType = type === 'object' ? 'struct' : type === 'array' ? '[]' : type === 'number' ? 'float64' : type;
    throw new TsdError('invalid-argument', `invalid JSON: json: cannot unmarshal ${jsonKind(value)} into Go struct field ${path} of type ${goType}`);
  }
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** Reads a boolean query parameter as Docker does: 1/true/True are true, absent is the default. */
export function queryBool(query: URLSearchParams, name: string, fallback = false): boolean {
  const value = query.get(name);
  if (value === null || value === '') return fallback;
  const lower = value.toLowerCase();
  if (lower === '1' || lower === 'true') return true;
  if (lower === '0' || lower === 'false') return false;
  throw new TsdError('invalid-argument', `invalid value for ${name}: ${value} (want true or false)`);
}
