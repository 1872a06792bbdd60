/**
 * containerd's Containers service: the metadata record of a container (spec, runtime, snapshot
 * key, labels). It runs nothing; a task (tasks.ts) does.
 */
import type { Spec } from '../../api/oci-runtime-spec.js';
import { fromTimestamp } from '../../containerd/api/timestamps.js';
import type { CallOptions, ContainerdConnection } from './connection.js';
import type { Timestamp } from './types.js';

const SERVICE = 'containerd.services.containers.v1.Containers';

/** Type URL containerd and its clients use for an OCI spec carried as JSON in an Any. */
export const SPEC_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Spec';
/** Type URL of runc shims' options (containerd.runc.v1.Options). */
export const RUNC_OPTIONS_TYPE_URL = 'containerd.runc.v1.Options';

export interface AnyMessage {
  typeUrl: string;
  value: Buffer;
}

export interface ContainerRecord {
  id: string;
  labels: Record<string, string>;
  image: string;
  runtime: { name: string; options?: AnyMessage | null };
  spec: Spec;
  snapshotter: string;
  snapshotKey: string;
  createdAt?: Date;
}

interface ContainerMessage {
  id: string;
  labels?: Record<string, string>;
  image?: string;
  runtime?: { name: string; options?: AnyMessage | null } | null;
  spec?: AnyMessage | null;
  snapshotter?: string;
  snapshotKey?: string;
  createdAt?: Timestamp | null;
}

export function specAny(spec: object, typeUrl = SPEC_TYPE_URL): AnyMessage {
  return { typeUrl, value: Buffer.from(JSON.stringify(spec)) };
}

/**
 * containerd.runc.v1.Options with only binary_name (field 6) set, encoded by hand: one string
 * field does not justify loading runc's proto.
 */
export function runcOptions(binaryName: string): AnyMessage {
  const name = Buffer.from(binaryName);
  const length: number[] = [];
  let n = name.length;
  do {
    length.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>= 7;
  } while (n > 0);
  return { typeUrl: RUNC_OPTIONS_TYPE_URL, value: Buffer.concat([Buffer.from([0x32, ...length]), name]) };
}

function toRecord(message: ContainerMessage): ContainerRecord {
  const spec = message.spec?.value?.length ? (JSON.parse(message.spec.value.toString()) as Spec) : ({ ociVersion: '' } as Spec);
  return {
    id: message.id,
    labels: message.labels ?? {},
    image: message.image ?? '',
    runtime: { name: message.runtime?.name ?? '', options: message.runtime?.options ?? null },
    spec,
    snapshotter: message.snapshotter ?? '',
    snapshotKey: message.snapshotKey ?? '',
    createdAt: fromTimestamp(message.createdAt),
  };
}

export class ContainersClient {
  constructor(private readonly connection: ContainerdConnection) {}

  async create(record: Omit<ContainerRecord, 'createdAt'>, options: CallOptions = {}): Promise<ContainerRecord> {
    const container: ContainerMessage = {
      id: record.id,
      labels: record.labels,
      image: record.image,
      runtime: record.runtime,
      spec: specAny(record.spec),
      snapshotter: record.snapshotter,
      snapshotKey: record.snapshotKey,
    };
    const response = await this.connection.unary<object, { container: ContainerMessage }>(SERVICE, 'Create', { container }, options);
    return toRecord(response.container);
  }

  async get(id: string): Promise<ContainerRecord> {
    const response = await this.connection.unary<object, { container: ContainerMessage }>(SERVICE, 'Get', { id });
    return toRecord(response.container);
  }

  async list(filters: string[] = []): Promise<ContainerRecord[]> {
    const response = await this.connection.unary<object, { containers: ContainerMessage[] }>(SERVICE, 'List', { filters });
    return (response.containers ?? []).map(toRecord);
  }

  /** Replaces the spec (docker update keeps the stored spec in step with the live limits). */
  async updateSpec(id: string, spec: Spec): Promise<void> {
    await this.connection.unary(SERVICE, 'Update', { container: { id, spec: specAny(spec) }, updateMask: { paths: ['spec'] } });
  }

  async delete(id: string): Promise<void> {
    await this.connection.unary(SERVICE, 'Delete', { id });
  }
}
