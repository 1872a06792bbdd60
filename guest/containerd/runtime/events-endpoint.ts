/**
 * containerd's ttrpc endpoint ("<address>.ttrpc", given to shims as TTRPC_ADDRESS): the
 * containerd.services.events.ttrpc.v1.Events service, whose Forward puts a shim's task events
 * (/tasks/create, /tasks/start, /tasks/exit, ...) into the event exchange as they are, namespace
 * included, so `ctr events` and dockerd see them.
 */
import { TsdError } from '../../api/errors.js';
import { serviceHandlers, TtrpcServer } from '../../ttrpc/index.js';
import type { AnyMessage } from '../api/event-types.js';
import { loadApi } from '../api/load-api.js';
import { fromTimestamp, type Timestamp } from '../api/timestamps.js';
import type { Envelope, EventExchange } from '../server/event-exchange.js';

const SERVICE = 'containerd.services.events.ttrpc.v1.Events';

interface ForwardRequest {
  envelope: { timestamp: Timestamp | null; namespace: string; topic: string; event: AnyMessage | null } | null;
}

/** Starts serving; `onEnvelope` sees each forwarded envelope after it is published. */
export async function startEventsEndpoint(path: string, exchange: EventExchange, onEnvelope: (envelope: Envelope) => void = () => undefined): Promise<TtrpcServer> {
  const server = new TtrpcServer();
  server.register(SERVICE, serviceHandlers(loadApi().ttrpc, SERVICE, {
    Forward: async (request: ForwardRequest) => {
      const message = request.envelope;
      if (!message) throw new TsdError('invalid-argument', 'forward needs an envelope');
      const envelope: Envelope = {
        timestamp: fromTimestamp(message.timestamp) ?? new Date(),
        namespace: message.namespace,
        topic: message.topic,
        event: message.event && { type_url: message.event.type_url, value: Buffer.from(message.event.value) },
      };
      exchange.forward(envelope);
      onEnvelope(envelope);
      return {};
    },
  }));
  await server.listen(path);
  return server;
}
