/**
 * The plugin table that introspection reports: what this daemon provides, under containerd's
 * plugin types and ids, so that clients checking for e.g. the overlayfs snapshotter find it.
 */
export interface PluginRecord {
  type: string;
  id: string;
  requires: string[];
  platforms: Array<{ os: string; architecture: string; variant: string }>;
  exports: Record<string, string>;
  capabilities: string[];
  /** Why the plugin failed to start, when it did. */
  initError?: string;
}

export interface PluginFacts {
  root: string;
  state: string;
  platform: { os: string; architecture: string; variant: string };
  /** snapshotter name -> its root, or an error message when unavailable here. */
  snapshotters: Record<string, { root: string } | { error: string }>;
}

const GRPC_SERVICES = ['version', 'introspection', 'namespaces', 'content', 'snapshots', 'images', 'leases', 'events', 'diff', 'containers', 'tasks'];

export function pluginTable(facts: PluginFacts): PluginRecord[] {
  const plugin = (type: string, id: string, extra: Partial<PluginRecord> = {}): PluginRecord => ({
    type, id, requires: [], platforms: [], exports: {}, capabilities: [], ...extra,
  });
  const records: PluginRecord[] = [
    plugin('io.containerd.content.v1', 'content', { exports: { root: `${facts.root}/io.containerd.content.v1.content` } }),
    plugin('io.containerd.event.v1', 'exchange'),
    plugin('io.containerd.metadata.v1', 'bolt', { requires: ['io.containerd.content.v1', 'io.containerd.snapshotter.v1'] }),
    plugin('io.containerd.differ.v1', 'walking', { requires: ['io.containerd.metadata.v1'], platforms: [facts.platform] }),
    plugin('io.containerd.lease.v1', 'manager', { requires: ['io.containerd.metadata.v1'] }),
    plugin('io.containerd.runtime.v2', 'task', {
      requires: ['io.containerd.event.v1', 'io.containerd.metadata.v1'],
      platforms: [facts.platform],
      exports: { root: `${facts.root}/io.containerd.runtime.v2.task`, state: `${facts.state}/io.containerd.runtime.v2.task` },
    }),
  ];
  for (const [name, snapshotter] of Object.entries(facts.snapshotters)) {
    const record = plugin('io.containerd.snapshotter.v1', name, { platforms: [facts.platform] });
    if ('root' in snapshotter) record.exports = { root: snapshotter.root };
    else record.initError = snapshotter.error;
    records.push(record);
  }
  for (const id of GRPC_SERVICES) records.push(plugin('io.containerd.grpc.v1', id, { requires: ['io.containerd.metadata.v1'] }));
  return records;
}
