/**
 * The json-file driver's log options and the extra attributes they add to each line: `labels` /
 * `labels-regex` pick container labels, `env` / `env-regex` pick environment variables, `tag` (a
 * small Go-template subset) names the container. They are stored per line as `attrs` (as Docker's
 * json-file does) and shown by `docker logs --details` as `k=v,k2=v2 ` before the line.
 */
import { TsdError } from '../../../api/errors.js';

/** json-file options Docker accepts; rotation (max-size, max-file, compress) is accepted, not applied. */
const JSON_FILE_OPTIONS = ['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag', 'mode', 'max-buffer-size'];

export function validateLogOptions(driver: string, options: Record<string, string>): void {
  if (driver !== 'json-file') return;
  for (const [key, value] of Object.entries(options)) {
    if (!JSON_FILE_OPTIONS.includes(key)) throw new TsdError('invalid-argument', `unknown log opt '${key}' for json-file log driver`);
    if (key.endsWith('-regex')) compile(value);
  }
}

function compile(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new TsdError('invalid-argument', `error parsing regexp: ${(error as Error).message}`);
  }
}

export interface LogSource {
  id: string;
  name: string;
  imageName: string;
  imageId: string;
  labels: Record<string, string>;
  env: string[];
}

/** Docker's logger.Info.ExtraAttributes plus json-file's `tag`. */
export function extraAttributes(options: Record<string, string>, source: LogSource): Record<string, string> {
  const extra: Record<string, string> = {};
  const list = (key: string): string[] => (options[key] ?? '').split(',').filter((k) => k !== '');
  for (const key of list('labels')) if (key in source.labels) extra[key] = source.labels[key]!;
  if (options['labels-regex']) {
    const re = compile(options['labels-regex']);
    for (const [key, value] of Object.entries(source.labels)) if (re.test(key)) extra[key] = value;
  }
  const env = new Map<string, string>();
  for (const entry of source.env) {
    const at = entry.indexOf('=');
    if (at > 0) env.set(entry.slice(0, at), entry.slice(at + 1));
  }
  for (const key of list('env')) if (env.has(key)) extra[key] = env.get(key)!;
  if (options['env-regex']) {
    const re = compile(options['env-regex']);
    for (const [key, value] of env) if (re.test(key)) extra[key] = value;
  }
  if (options.tag) extra.tag = expandTag(options.tag, source);
  return extra;
}

/** The fields of Docker's log tag template that tsd knows; anything else stays as written. */
function expandTag(template: string, source: LogSource): string {
  const fields: Record<string, string> = {
    ID: source.id.slice(0, 12), FullID: source.id, Name: source.name, ImageName: source.imageName,
    ImageID: source.imageId.replace(/^sha256:/, '').slice(0, 12), ImageFullID: source.imageId, DaemonName: 'docker',
  };
  return template.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (whole, field: string) => fields[field] ?? whole);
}

/** Go's url.QueryEscape: only [A-Za-z0-9-_.~] stay, space is "+". */
function queryEscape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}

/** `--details` prefix: attributes sorted by key, query-escaped, comma-separated, then a space (also when there are none). */
export function detailsPrefix(attrs: Record<string, string> | undefined): string {
  const keys = Object.keys(attrs ?? {}).sort();
  return keys.map((k) => `${queryEscape(k)}=${queryEscape(attrs![k]!)}`).join(',') + ' ';
}
