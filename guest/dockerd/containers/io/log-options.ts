/**
 * The json-file driver's rotation options, parsed as Docker's driver parses them when a container
 * starts (a bad value fails the start, not the create): `max-size` (go-units' decimal sizes:
 * "10k" = 10000 bytes, unset = never rotate), `max-file` (files kept, the current one included;
 * default 1), `compress` (gzip the rotated files; needs max-file ≥ 2 and a max-size). Also the
 * merge of daemon.json's `log-driver` / `log-opts` into a new container's LogConfig, as dockerd
 * does at create (so inspect shows the options in effect).
 */
import { TsdError } from '../../../api/errors.js';

export interface LogRotation {
  /** Bytes after which the file is rotated; -1 = never. */
  maxSize: number;
  /** Files kept, the current one included (1 = the current file is truncated instead). */
  maxFiles: number;
  compress: boolean;
}

export const NO_ROTATION: LogRotation = { maxSize: -1, maxFiles: 1, compress: false };

const DECIMAL_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

/** go-units' FromHumanSize: "512", "10k", "1.5MB", "2 g", "3mib" (decimal multiples whatever the suffix). */
export function parseHumanSize(text: string): number {
  const match = /^(\d+(?:\.\d+)*) ?([kmgtp])?i?b?$/i.exec(text);
  if (!match) throw new Error(`invalid size: '${text}'`);
  const value = Number(match[1]);
  // "1.2.3" passes the pattern but is no number: Go's ParseFloat refuses it.
  if (Number.isNaN(value)) throw new Error(`strconv.ParseFloat: parsing "${match[1]}": invalid syntax`);
  return Math.trunc(value * DECIMAL_UNITS[(match[2] ?? '').toLowerCase()]!);
}

/** Go's strconv.Atoi for the values dockerd reads with it. */
function atoi(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`strconv.Atoi: parsing "${text}": invalid syntax`);
  return Number(text);
}

/** Go's strconv.ParseBool. */
function parseBool(text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new Error(`strconv.ParseBool: parsing "${text}": invalid syntax`);
}

/** The rotation a json-file log gets from its options; throws Docker's message for a bad value. */
export function parseLogRotation(options: Record<string, string>): LogRotation {
  let maxSize = -1;
  if (options['max-size'] !== undefined) {
    maxSize = parseHumanSize(options['max-size']);
    if (maxSize <= 0) throw new Error('max-size must be a positive number');
  }
  let maxFiles = 1;
  if (options['max-file'] !== undefined) {
    maxFiles = atoi(options['max-file']);
    if (maxFiles < 1) throw new Error('max-file cannot be less than 1');
  }
  let compress = false;
  if (options.compress !== undefined) {
    compress = parseBool(options.compress);
    if (compress && (maxFiles === 1 || maxSize === -1)) throw new Error('compress cannot be true when max-file is less than 2 or max-size is not set');
  }
  return { maxSize, maxFiles, compress };
}

/** As at a container's start: a bad option fails it with dockerd's wording. */
export function logRotationAtStart(options: Record<string, string>): LogRotation {
  try {
    return parseLogRotation(options);
  } catch (error) {
    throw new TsdError('internal', `failed to initialize logging driver: ${(error as Error).message}`);
  }
}

export interface LogConfig {
  Type?: string;
  Config?: Record<string, string>;
}

/**
 * dockerd's create-time merge: no driver → the daemon's; with the daemon's driver, each daemon
 * option the container does not set is added.
 */
export function mergeDaemonLogConfig(config: LogConfig | undefined, daemon: { driver: string; options: Record<string, string> }): Required<LogConfig> {
  const type = config?.Type || daemon.driver;
  const options = { ...(config?.Config ?? {}) };
  if (type === daemon.driver) for (const [key, value] of Object.entries(daemon.options)) if (!(key in options)) options[key] = value;
  return { Type: type, Config: options };
}
