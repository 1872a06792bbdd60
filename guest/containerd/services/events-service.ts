/**
 * containerd.services.events.v1.Events: Publish (namespace required, topic checked), Forward (an
 * envelope as it is), Subscribe (a stream of envelopes matching any filter, until the client goes).
 */
import { TsdError } from '../../api/errors.js';
import type { AnyMessage } from '../api/event-types.js';
import { fromTimestamp, toTimestamp, type Timestamp } from '../api/timestamps.js';
import type { EventExchange } from '../server/event-exchange.js';
import { serverStreaming, unary, type ServiceHandlers } from '../server/handlers.js';

interface EnvelopeMessage {
  timestamp: Timestamp | null;
  namespace: string;
  topic: string;
  event: AnyMessage | null;
}

export function eventsService(exchange: EventExchange): ServiceHandlers {
  return {
    Publish: unary<{ topic: string; event: AnyMessage | null }, object>(async (request, context) => {
      exchange.publish(context.requireNamespace(), request.topic, request.event);
      return {};
    }),
    Forward: unary<{ envelope: EnvelopeMessage | null }, object>(async (request) => {
      const envelope = request.envelope;
      if (!envelope) throw new TsdError('invalid-argument', 'forward needs an envelope');
      exchange.forward({
        timestamp: fromTimestamp(envelope.timestamp) ?? new Date(),
        namespace: envelope.namespace,
        topic: envelope.topic,
        event: envelope.event,
      });
      return {};
    }),
    Subscribe: serverStreaming<{ filters: string[] }, EnvelopeMessage>(async (request, _context, send, signal) => {
      const queue: EnvelopeMessage[] = [];
      let wake: (() => void) | undefined;
      exchange.subscribe(request.filters, (envelope) => {
        queue.push({ ...envelope, timestamp: toTimestamp(envelope.timestamp) });
        wake?.();
      }, signal);
      // One abort listener for the whole stream (not one per wait): it wakes the loop to end it.
      signal.addEventListener('abort', () => wake?.(), { once: true });
      while (!signal.aborted) {
        const next = queue.shift();
        if (next) await send(next);
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    }),
  };
}
