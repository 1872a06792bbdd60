/**
 * containerd's Events service: subscribe to envelopes (topic, namespace, time). The payload stays
 * an Any; callers that need it decode it with the event types of guest/containerd/api.
 */
import { fromTimestamp } from '../../containerd/api/timestamps.js';
import type { ContainerdConnection, ResponseStream } from './connection.js';
import type { Timestamp } from './types.js';

const SERVICE = 'containerd.services.events.v1.Events';

export interface EventEnvelope {
  timestamp: Date;
  namespace: string;
  topic: string;
  event: { typeUrl: string; value: Buffer } | null;
}

interface EnvelopeMessage {
  timestamp: Timestamp | null;
  namespace: string;
  topic: string;
  event: { typeUrl?: string; type_url?: string; value: Buffer } | null;
}

export class EventsClient {
  constructor(private readonly connection: ContainerdConnection) {}

  /**
   * Envelopes matching any filter (`topic~="/tasks/"`, `namespace==moby`) until cancelled.
   * The stream is iterated by the caller; `cancel()` ends it without an error.
   */
  subscribe(filters: string[] = []): { envelopes: AsyncIterable<EventEnvelope>; cancel(): void } {
    const stream: ResponseStream<EnvelopeMessage> = this.connection.serverStream(SERVICE, 'Subscribe', { filters });
    return {
      envelopes: (async function* () {
        for await (const message of stream) {
          const event = message.event ? { typeUrl: message.event.typeUrl ?? message.event.type_url ?? '', value: message.event.value } : null;
          yield { timestamp: fromTimestamp(message.timestamp) ?? new Date(), namespace: message.namespace, topic: message.topic, event };
        }
      })(),
      cancel: () => stream.cancel(),
    };
  }
}
