/** containerd.services.introspection.v1.Introspection: the plugin table and the server's UUID. */
import { status } from '@grpc/grpc-js';
import { anyFilter } from '../content/filters.js';
import { unary, type ServiceHandlers } from '../server/handlers.js';
import type { PluginRecord } from '../server/plugins.js';

interface PluginMessage {
  type: string;
  id: string;
  requires: string[];
  platforms: PluginRecord['platforms'];
  exports: Record<string, string>;
  capabilities: string[];
  initErr: { code: number; message: string; details: [] } | null;
}

export function introspectionService(plugins: PluginRecord[], uuid: string): ServiceHandlers {
  return {
    Plugins: unary<{ filters: string[] }, { plugins: PluginMessage[] }>(async (request) => {
      const matches = anyFilter(request.filters);
      const selected = plugins.filter((p) => matches((path) => fieldOf(p, path)));
      return { plugins: selected.map(toMessage) };
    }),
    Server: unary<unknown, { uuid: string }>(async () => ({ uuid })),
  };
}

function fieldOf(plugin: PluginRecord, path: string[]): string | undefined {
  const [head, ...rest] = path;
  if (head === 'type' && rest.length === 0) return plugin.type;
  if (head === 'id' && rest.length === 0) return plugin.id;
  if (head === 'capabilities' && rest.length === 0) return plugin.capabilities.join(',');
  if (head === 'exports' && rest.length > 0) return plugin.exports[rest.join('.')];
  return undefined;
}

function toMessage(plugin: PluginRecord): PluginMessage {
  return {
    type: plugin.type,
    id: plugin.id,
    requires: plugin.requires,
    platforms: plugin.platforms,
    exports: plugin.exports,
    capabilities: plugin.capabilities,
    initErr: plugin.initError === undefined ? null : { code: status.UNAVAILABLE, message: plugin.initError, details: [] },
  };
}
