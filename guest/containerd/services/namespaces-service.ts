/** containerd.services.namespaces.v1.Namespaces, publishing /namespaces/{create,update,delete}. */
import type { NamespaceStore, Namespace } from '../metadata/namespace-store.js';
import type { EventExchange } from '../server/event-exchange.js';
import { unary, type ServiceHandlers } from '../server/handlers.js';

interface FieldMask {
  paths: string[];
}

export function namespacesService(store: NamespaceStore, events: EventExchange): ServiceHandlers {
  return {
    Get: unary<{ name: string }, { namespace: Namespace }>(async (request) => ({ namespace: store.get(request.name) })),
    List: unary<{ filter: string }, { namespaces: Namespace[] }>(async () => ({ namespaces: store.list() })),
    Create: unary<{ namespace: Namespace | null }, { namespace: Namespace }>(async (request, context) => {
      const namespace = await store.create(request.namespace?.name ?? '', request.namespace?.labels ?? {});
      events.emit(context.namespace, 'namespaceCreate', { ...namespace });
      return { namespace };
    }),
    Update: unary<{ namespace: Namespace | null; updateMask: FieldMask | null }, { namespace: Namespace }>(async (request, context) => {
      const namespace = await store.update(request.namespace?.name ?? '', request.namespace?.labels ?? {}, request.updateMask?.paths ?? []);
      events.emit(context.namespace, 'namespaceUpdate', { ...namespace });
      return { namespace };
    }),
    Delete: unary<{ name: string }, object>(async (request) => {
      await store.delete(request.name);
      events.emit(request.name, 'namespaceDelete', { name: request.name });
      return {};
    }),
  };
}
