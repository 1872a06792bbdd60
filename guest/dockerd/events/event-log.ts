/**
 * The engine's event log: every container, image, network, volume and daemon event is published
 * here once and kept in a bounded in-memory history (dockerd keeps the last 256), so that
 * `GET /events?since=…` can replay the past and then follow live events.
 *
 * Shape (Engine API "EventMessage"): {Type, Action, Actor: {ID, Attributes}, scope, time,
 * timeNano}, plus the deprecated status/id/from that API < 1.52 clients still read.
 */
export type EventType = 'container' | 'image' | 'network' | 'volume' | 'daemon' | 'plugin' | 'service' | 'node' | 'secret' | 'config';

export interface EngineEvent {
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local' | 'swarm';
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}

/** What publishers give: the log adds time and the deprecated fields. */
export interface EventInput {
  type: EventType;
  action: string;
  actor: string;
  attributes?: Record<string, string>;
}

export type EventListener = (event: EngineEvent) => void;

const HISTORY = 1024;

export class EventLog {
  readonly #history: EngineEvent[] = [];
  readonly #listeners = new Set<EventListener>();
  /** Exact times: nanoseconds since the epoch exceed a double's integers, so they live here. */
  readonly #nanos = new WeakMap<EngineEvent, bigint>();
  #lastNano = 0n;

  publish(input: EventInput): EngineEvent {
    const event = this.#build(input);
    this.#history.push(event);
    if (this.#history.length > HISTORY) this.#history.shift();
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // one broken subscriber must not stop the others or the publisher
      }
    }
    return event;
  }

  /** Events already published with timeNano in [sinceNano, untilNano]. */
  history(sinceNano: bigint, untilNano?: bigint): EngineEvent[] {
    return this.#history.filter((e) => {
      const nano = this.nanos(e);
      return nano >= sinceNano && (untilNano === undefined || nano <= untilNano);
    });
  }

  /** The exact nanosecond time of an event from this log. */
  nanos(event: EngineEvent): bigint {
    return this.#nanos.get(event) ?? BigInt(event.time) * 1_000_000_000n;
  }

  /** The event as one JSON line, with timeNano written exactly. */
  serialize(event: EngineEvent): string {
    const marker = '"__TSD_TIME_NANO__"';
    return JSON.stringify({ ...event, timeNano: JSON.parse(marker) as string }).replace(marker, this.nanos(event).toString());
  }

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listeners(): number {
    return this.#listeners.size;
  }

  #build(input: EventInput): EngineEvent {
    // Nanosecond times that strictly increase, so since/until boundaries are exact.
    let nano = BigInt(Date.now()) * 1_000_000n;
    if (nano <= this.#lastNano) nano = this.#lastNano + 1n;
    this.#lastNano = nano;
    const attributes = input.attributes ?? {};
    const event: EngineEvent = {
      Type: input.type,
      Action: input.action,
      Actor: { ID: input.actor, Attributes: attributes },
      scope: 'local',
      time: Number(nano / 1_000_000_000n),
      timeNano: Number(nano),
    };
    this.#nanos.set(event, nano);
    if (input.type === 'container' || input.type === 'image') {
      event.status = input.action;
      event.id = input.actor;
      if (input.type === 'container' && attributes.image) event.from = attributes.image;
    }
    return event;
  }
}
