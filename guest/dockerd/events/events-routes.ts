/**
 * GET /events: replays history from `since`, then follows live events until `until` (or until the
 * client goes away). Without `since` only live events are sent. One JSON object per line.
 */
import type { ServerResponse } from 'node:http';
import { TsdError } from '../../api/errors.js';
import type { EngineContext } from '../engine-context.js';
import { FilterArgs } from '../http/filters.js';
import { startJsonStream } from '../http/json-stream.js';
import type { ApiRequest, Router } from '../router.js';
import { EVENT_FILTER_KEYS, eventMatches, parseEventTime } from './event-filters.js';
import type { EngineEvent } from './event-log.js';

export function addEventRoutes(router: Router, ctx: EngineContext): void {
  router.add('GET', '/events', (req, res) => streamEvents(ctx, req, res));
}

async function streamEvents(ctx: EngineContext, req: ApiRequest, res: ServerResponse): Promise<void> {
  const filters = FilterArgs.parse(req.query.get('filters'), EVENT_FILTER_KEYS);
  const nowNano = BigInt(Date.now()) * 1_000_000n;
  const sinceText = req.query.get('since');
  const untilText = req.query.get('until');
  const since = sinceText ? parseEventTime(sinceText, 'since') : undefined;
  const until = untilText ? parseEventTime(untilText, 'until') : undefined;
  if (since !== undefined && until !== undefined && until < since) {
    throw new TsdError('invalid-argument', 'until must be after since');
  }
  const stream = startJsonStream(res);
  stream.open();
  const wanted = (event: EngineEvent): boolean => eventMatches(filters, event);
  // Subscribe before replaying, so nothing published in between is lost; replayed events are skipped live.
  let lastReplayed = -1n;
  const send = (event: EngineEvent): void => stream.sendRaw(ctx.events.serialize(event) + '\n');
  const unsubscribe = ctx.events.subscribe((event) => {
    const nano = ctx.events.nanos(event);
    if (nano <= lastReplayed) return;
    if ((since !== undefined && nano < since) || (until !== undefined && nano > until)) return;
    if (wanted(event)) send(event);
  });
  if (since !== undefined) {
    for (const event of ctx.events.history(since, until)) {
      if (wanted(event)) send(event);
      lastReplayed = ctx.events.nanos(event);
    }
  }
  const waitMs = until === undefined ? undefined : Number((until - nowNano) / 1_000_000n);
  await new Promise<void>((resolve) => {
    stream.signal.addEventListener('abort', () => resolve(), { once: true });
    if (waitMs !== undefined) setTimeout(resolve, Math.max(0, waitMs)).unref();
  });
  unsubscribe();
  stream.end();
}
