/**
 * containerd's gRPC API (our own .proto files, same packages, names and field numbers as
 * containerd's api/) as grpc-js service definitions, and the protobufjs Root for the ttrpc
 * protocols and the event payloads that travel inside google.protobuf.Any. One Root holds it all
 * (proto-root.ts); a service's definition is built the first time it is asked for.
 *
 * Message objects use camelCase field names, int64 as JS numbers, enums as their names, and
 * Timestamps as {seconds, nanos} (see timestamps.ts).
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { serviceDefinition } from './grpc-definitions.js';
import { loadProtoRoot } from './proto-root.js';

/** Full service names, e.g. "containerd.services.version.v1.Version". */
export type ServiceName =
  | 'containerd.services.version.v1.Version'
  | 'containerd.services.introspection.v1.Introspection'
  | 'containerd.services.namespaces.v1.Namespaces'
  | 'containerd.services.content.v1.Content'
  | 'containerd.services.snapshots.v1.Snapshots'
  | 'containerd.services.images.v1.Images'
  | 'containerd.services.leases.v1.Leases'
  | 'containerd.services.events.v1.Events'
  | 'containerd.services.diff.v1.Diff'
  | 'containerd.services.containers.v1.Containers'
  | 'containerd.services.tasks.v1.Tasks';

export interface ContainerdApi {
  service(name: ServiceName): ServiceDefinition;
  /** Event payloads and runc options, for encoding/decoding google.protobuf.Any values. */
  events: protobuf.Root;
  /**
   * The ttrpc protocols (containerd.task.v2.Task, containerd.services.events.ttrpc.v1.Events)
   * plus the task types, as plain protobufjs types: ttrpc frames carry raw protobuf messages.
   * The same Root as `events`.
   */
  ttrpc: protobuf.Root;
}

let cached: ContainerdApi | undefined;

export function loadApi(): ContainerdApi {
  if (cached) return cached;
  const root = loadProtoRoot();
  const services = new Map<ServiceName, ServiceDefinition>();
  cached = {
    service(name) {
      let definition = services.get(name);
      if (!definition) services.set(name, (definition = serviceDefinition(root, name)));
      return definition;
    },
    events: root,
    ttrpc: root,
  };
  return cached;
}
