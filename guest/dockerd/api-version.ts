/**
 * Engine API version negotiation. Clients may prefix a path with /v1.xx/; without a prefix the
 * server's own version applies. Docker 28 speaks up to 1.51 and accepts down to 1.24.
 */
import { TsdError } from '../api/errors.js';

export const MIN_API_VERSION = '1.24';
export const MAX_API_VERSION = '1.51';

export interface ApiVersion {
  major: number;
  minor: number;
}

/** Parses "1.43" into {major, minor}; undefined for anything else. */
export function parseApiVersion(text: string): ApiVersion | undefined {
  const match = /^(\d+)\.(\d+)$/.exec(text);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]) };
}

export function compareApiVersions(a: ApiVersion, b: ApiVersion): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

export function formatApiVersion(version: ApiVersion): string {
  return `${version.major}.${version.minor}`;
}

const MIN = parseApiVersion(MIN_API_VERSION)!;
const MAX = parseApiVersion(MAX_API_VERSION)!;

/** Splits "/v1.43/info" into the version and the rest of the path ("/info"). */
export function splitVersionPrefix(path: string): { version?: string; rest: string } {
  const match = /^\/v([^/]+)(\/.*)?$/.exec(path);
  if (!match || !/^\d/.test(match[1]!)) return { rest: path };
  return { version: match[1]!, rest: match[2] ?? '/' };
}

/**
 * The API version a request is served at: the prefix when present and supported, else the maximum.
 * Throws invalid-argument (HTTP 400, as Docker does) for versions outside MIN..MAX.
 */
export function negotiateApiVersion(requested: string | undefined): ApiVersion {
  if (requested === undefined) return MAX;
  const version = parseApiVersion(requested);
  if (!version) throw new TsdError('invalid-argument', `invalid API version: ${requested}`);
  if (compareApiVersions(version, MAX) > 0) {
    throw new TsdError('invalid-argument', `client version ${requested} is too new. Maximum supported API version is ${MAX_API_VERSION}`);
  }
  if (compareApiVersions(version, MIN) < 0) {
    throw new TsdError(
      'invalid-argument',
      `client version ${requested} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  }
  return version;
}
