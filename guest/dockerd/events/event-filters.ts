/**
 * Which events a subscriber wants, from GET /events' `filters` (Docker's keys: type, event,
 * container, image, network, volume, daemon, label, scope) and since/until times.
 */
import { TsdError } from '../../api/errors.js';
import { FilterArgs } from '../http/filters.js';
import type { EngineEvent } from './event-log.js';

export const EVENT_FILTER_KEYS = ['type', 'event', 'container', 'image', 'network', 'volume', 'daemon', 'label', 'scope', 'plugin', 'service', 'node', 'secret', 'config'] as const;

export function eventMatches(filters: FilterArgs, event: EngineEvent): boolean {
  const actor = event.Actor;
  const name = actor.Attributes.name;
  const idOrName = (key: string, type: string): boolean =>
    !filters.has(key) || (event.Type === type && (filters.get(key).some((v) => actor.ID === v || actor.ID.startsWith(v) || name === v)));
  const image = (): boolean => {
    if (!filters.has('image')) return true;
    const candidates = [actor.ID, name, actor.Attributes.image, event.from].filter((v): v is string => !!v);
    return filters.get('image').some((wanted) => candidates.some((c) => c === wanted || stripLatest(c) === stripLatest(wanted)));
  };
  return (
    filters.matches('type', event.Type) &&
    (filters.matches('event', event.Action) || filters.matches('event', event.Action.split(':')[0])) &&
    filters.matches('scope', event.scope) &&
    idOrName('container', 'container') &&
    idOrName('network', 'network') &&
    idOrName('volume', 'volume') &&
    idOrName('daemon', 'daemon') &&
    image() &&
    filters.matchesLabels(actor.Attributes)
  );
}

function stripLatest(reference: string): string {
  return reference.replace(/:latest$/, '').replace(/^docker\.io\/(library\/)?/, '');
}

/**
 * A `since`/`until` value as nanoseconds since the epoch: Unix seconds with an optional fraction
 * (`1700000000.123456789`, what the CLI sends), RFC 3339, or a Go-style duration back from now (`10m`).
 */
export function parseEventTime(value: string, name: string, now = Date.now()): bigint {
  const seconds = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (seconds) return BigInt(seconds[1]!) * 1_000_000_000n + BigInt((seconds[2] ?? '').padEnd(9, '0') || '0');
  const duration = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(value);
  if (duration) {
    const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
    return BigInt(Math.round(now - Number(duration[1]) * unitMs[duration[2]!]!)) * 1_000_000n;
  }
  const date = Date.parse(value);
  if (!Number.isNaN(date)) return BigInt(date) * 1_000_000n;
  throw new TsdError('invalid-argument', `invalid value for ${name}: ${value} (want Unix seconds, RFC 3339 or a duration)`);
}
