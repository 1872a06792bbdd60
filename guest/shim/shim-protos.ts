/**
 * The messages the shim speaks, from containerd's .proto files in guest/containerd/api/proto
 * (beside the bundle: dist/guest/containerd-proto). Only the few files the shim needs are
 * loaded: its Task service, the ttrpc Events service, the task events and runc's options.
 */
import type protobuf from 'protobufjs';
import { protoDir } from '../containerd/api/proto-dir.js';
import { loadProtos } from '../ttrpc/index.js';

export const TASK_SERVICE = 'containerd.task.v2.Task';
export const EVENTS_SERVICE = 'containerd.services.events.ttrpc.v1.Events';

const FILES = ['runtime/task/v2/shim.proto', 'services/ttrpc/events.proto', 'events/task.proto', 'runtime/runc/options.proto'] as const;

let cached: protobuf.Root | undefined;

export function shimProtos(): protobuf.Root {
  cached ??= loadProtos(protoDir(), FILES);
  return cached;
}
