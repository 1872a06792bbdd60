/**
 * Docker's `filters` query parameter: JSON `{"key": {"value": true}}` (or the old
 * `{"key": ["value"]}`), parsed once into a map of key → values. Each list endpoint declares the
 * keys it accepts; any other key is a 400 with Docker's wording ("invalid filter 'x'").
 */
import { TsdError } from '../../api/errors.js';

export class FilterArgs {
  constructor(readonly values: ReadonlyMap<string, readonly string[]>) {}

  static parse(raw: string | null, accepted: readonly string[]): FilterArgs {
    const values = new Map<string, string[]>();
    if (raw === null || raw === '') return new FilterArgs(values);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      throw new TsdError('invalid-argument', `invalid filter: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new TsdError('invalid-argument', 'invalid filter: expected a JSON object of key to values');
    }
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (!accepted.includes(key)) throw new TsdError('invalid-argument', `invalid filter '${key}'`);
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
        values.set(key, value as string[]);
      } else if (value && typeof value === 'object' && Object.values(value).every((v) => typeof v === 'boolean')) {
        values.set(key, Object.entries(value as Record<string, boolean>).filter(([, on]) => on).map(([v]) => v));
      } else {
        throw new TsdError('invalid-argument', `invalid filter '${key}': values must be a list of strings or a map of string to true`);
      }
    }
    return new FilterArgs(values);
  }

  has(key: string): boolean {
    return (this.values.get(key)?.length ?? 0) > 0;
  }

  get(key: string): readonly string[] {
    return this.values.get(key) ?? [];
  }

  /** True when the key is absent or one of its values equals `value`. */
  matches(key: string, value: string | undefined): boolean {
    const wanted = this.values.get(key);
    if (!wanted || wanted.length === 0) return true;
    return value !== undefined && wanted.includes(value);
  }

  /** The single boolean value of a key (`dangling=true`); invalid values are Docker's 400. */
  boolean(key: string): boolean | undefined {
    const wanted = this.get(key);
    if (wanted.length === 0) return undefined;
    const normalized = wanted.map((v) => v.toLowerCase());
    if (normalized.every((v) => v === 'true' || v === '1')) return true;
    if (normalized.every((v) => v === 'false' || v === '0')) return false;
    throw new TsdError('invalid-argument', `invalid filter '${key}=${wanted.join(',')}': value must be true or false`);
  }

  /**
   * Label filters (`label=key` or `label=key=value`, `label!=…` under the `label!` key):
   * every one must hold for the labels given.
   */
  matchesLabels(labels: Record<string, string> | undefined, key = 'label'): boolean {
    const have = labels ?? {};
    const test = (spec: string): boolean => {
      const eq = spec.indexOf('=');
      if (eq === -1) return spec in have;
      return have[spec.slice(0, eq)] === spec.slice(eq + 1);
    };
    return this.get(key).every(test) && this.get(`${key}!`).every((spec) => !test(spec));
  }
}
