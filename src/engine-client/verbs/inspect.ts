/**
 * `tsd inspect`: containers first, then images (or only the --type given); docker's output is a
 * JSON array indented by 4. `--format json` prints each object on one line, and a small subset of
 * Go templates is understood: `{{.Path.To.Field}}` and `{{json .Path}}`, with text around them.
 */
import { TsdError } from '../../../guest/api/errors.js';
import type { EngineClient } from '../engine-client.js';
import { EngineError } from '../engine-errors.js';

export type InspectType = 'container' | 'image';

export async function inspectObjects(client: EngineClient, names: string[], type: InspectType | undefined): Promise<unknown[]> {
  const found: unknown[] = [];
  for (const name of names) {
    let object: unknown;
    for (const kind of type === undefined ? (['container', 'image'] as const) : [type]) {
      try {
        object = await client.json('GET', `/${kind}s/${encodeURIComponent(name)}/json`);
        break;
      } catch (error) {
        if (!(error instanceof EngineError && error.status === 404)) throw error;
      }
    }
    if (object === undefined) throw new TsdError('not-found', `No such object: ${name}`);
    found.push(object);
  }
  return found;
}

export function renderInspect(objects: unknown[], format: string | undefined): string {
  if (format === undefined || format === '') return `${JSON.stringify(objects, null, 4)}\n`;
  if (format === 'json') return objects.map((object) => `${JSON.stringify(object)}\n`).join('');
  return objects.map((object) => `${renderTemplate(format, object)}\n`).join('');
}

export function renderTemplate(template: string, value: unknown): string {
  return template.replace(/\{\{\s*(.*?)\s*\}\}/g, (_all, action: string) => {
    const json = /^json\s+(\.[\w.]*)$/.exec(action);
    if (json) return JSON.stringify(lookup(value, json[1]!));
    if (/^\.[\w.]*$/.test(action)) return show(lookup(value, action));
    throw new TsdError('unsupported', `template action "{{${action}}}" is not supported; use {{.Field.Sub}}, {{json .Field}} or --format json`);
  });
}

function lookup(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.').filter((part) => part !== '')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Go's template printing: <no value> for missing fields, maps and slices in Go's syntax roughly. */
function show(value: unknown): string {
  if (value === undefined) return '<no value>';
  if (value === null) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(show).join(' ')}]`;
  if (typeof value === 'object') return `map[${Object.entries(value).map(([key, inner]) => `${key}:${show(inner)}`).join(' ')}]`;
  return String(value);
}
