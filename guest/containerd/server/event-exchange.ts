/**
 * The event exchange: services publish envelopes, subscribers receive those matching any of their
 * filters (containerd's filter syntax over topic and namespace). In memory, like containerd's:
 * events are not persisted, a subscriber sees what happens while it listens.
 */
import { TsdError } from '../../api/errors.js';
import { encodeEvent, type AnyMessage, type EventKind } from '../api/event-types.js';
import { anyFilter, type Matcher } from '../content/filters.js';

export interface Envelope {
  timestamp: Date;
  namespace: string;
  topic: string;
  event: AnyMessage | null;
}

type Subscriber = { matches: Matcher; deliver: (envelope: Envelope) => void };

const TOPIC = /^\/(?:[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*)(?:\/[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*)*$/;

export class EventExchange {
  readonly #subscribers = new Set<Subscriber>();

  /** Publishes one of tsd-containerd's own events. */
  emit(namespace: string | undefined, kind: EventKind, payload: Record<string, unknown>): void {
    const { topic, event } = encodeEvent(kind, payload);
    this.forward({ timestamp: new Date(), namespace: namespace ?? '', topic, event });
  }

  publish(namespace: string, topic: string, event: AnyMessage | null): void {
    validateTopic(topic);
    this.forward({ timestamp: new Date(), namespace, topic, event });
  }

  forward(envelope: Envelope): void {
    if (envelope.topic !== '') validateTopic(envelope.topic);
    for (const subscriber of this.#subscribers) {
      const fields: Record<string, string> = { topic: envelope.topic, namespace: envelope.namespace };
      if (subscriber.matches((path) => (path.length === 1 ? fields[path[0] as string] : undefined))) subscriber.deliver(envelope);
    }
  }

  /** Delivers matching envelopes until `signal` aborts. */
  subscribe(filters: string[], deliver: (envelope: Envelope) => void, signal: AbortSignal): void {
    const subscriber: Subscriber = { matches: anyFilter(filters), deliver };
    this.#subscribers.add(subscriber);
    signal.addEventListener('abort', () => this.#subscribers.delete(subscriber), { once: true });
  }
}

function validateTopic(topic: string): void {
  if (topic === '') throw new TsdError('invalid-argument', 'event topic must not be empty');
  if (!TOPIC.test(topic)) throw new TsdError('invalid-argument', `event topic "${topic}" must be "/"-separated identifiers starting with "/"`);
}
