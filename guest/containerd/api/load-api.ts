/**
 * Loads containerd's gRPC API (our own .proto files, same packages, names and field numbers as
 * containerd's api/) into grpc-js service definitions, and a protobufjs root for the event
 * payloads that travel inside google.protobuf.Any.
 *
 * Message objects use camelCase field names, int64 as JS numbers, enums as their names, and
 * Timestamps as {seconds, nanos} (see timestamps.ts).
 */
import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { isAbsolute, join } from 'node:path';
import { protoDir } from './proto-dir.js';

export const SERVICE_FILES = [
  'services/version.proto',
  'services/introspection.proto',
  'services/namespaces.proto',
  'services/content.proto',
  'services/snapshots.proto',
  'services/images.proto',
  'services/leases.proto',
  'services/events.proto',
  'services/diff.proto',
  'services/containers.proto',
  'services/tasks.proto',
] as const;

/** Served or called over ttrpc, not gRPC: the shim's Task service and containerd's ttrpc Events. */
export const TTRPC_FILES = ['runtime/task/v2/shim.proto', 'services/ttrpc/events.proto'] as const;

const EVENT_FILES = [
  'events/events.proto',
  'events/image-events.proto',
  'events/task.proto',
  'events/container.proto',
  'runtime/runc/options.proto',
] as const;

const LOADER_OPTIONS: Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

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
   */
  ttrpc: protobuf.Root;
}

let cached: ContainerdApi | undefined;

export function loadApi(): ContainerdApi {
  if (cached) return cached;
  const dir = protoDir();
  const definition = loadSync([...SERVICE_FILES], { ...LOADER_OPTIONS, includeDirs: [dir] });
  const grpcObject = loadPackageDefinition(definition);
  const events = new protobuf.Root();
  events.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(dir, target));
  events.loadSync(EVENT_FILES.map((file) => join(dir, file)), { keepCase: false });
  const ttrpc = new protobuf.Root();
  ttrpc.resolvePath = events.resolvePath;
  ttrpc.loadSync(TTRPC_FILES.map((file) => join(dir, file)), { keepCase: false });
  cached = {
    service(name) {
      let node: unknown = grpcObject;
      for (const part of name.split('.')) node = (node as GrpcObject)[part];
      return (node as { service: ServiceDefinition }).service;
    },
    events,
    ttrpc,
  };
  return cached;
}
