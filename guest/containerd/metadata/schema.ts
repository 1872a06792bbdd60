/**
 * The metadata database's shape: everything containerd keeps per namespace. Times are ISO
 * strings; the whole document is JSON (metadata-db.ts writes it atomically).
 */
export const SCHEMA_VERSION = 1;

export type Labels = Record<string, string>;

export interface DescriptorRecord {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Labels;
}

export interface ImageRecord {
  name: string;
  labels: Labels;
  target: DescriptorRecord;
  createdAt: string;
  updatedAt: string;
}

/** A blob's membership of a namespace; the bytes live once in the shared content store. */
export interface ContentRecord {
  digest: string;
  size: number;
  labels: Labels;
  createdAt: string;
  updatedAt: string;
}

export interface LeaseResource {
  id: string;
  /** "content", "ingests" or "snapshots/<snapshotter>" */
  type: string;
}

export interface LeaseRecord {
  id: string;
  labels: Labels;
  createdAt: string;
  resources: LeaseResource[];
}

/** A google.protobuf.Any kept as it came: the type URL and the bytes (base64). */
export interface AnyRecord {
  typeUrl: string;
  value: string;
}

/** Container metadata (containerd's containers.Container); a task is what runs it. */
export interface ContainerRecord {
  id: string;
  labels: Labels;
  image: string;
  runtime: { name: string; options: AnyRecord | null };
  /** The OCI runtime spec, normally JSON bytes with containerd's spec type URL. */
  spec: AnyRecord;
  snapshotter: string;
  snapshotKey: string;
  extensions: Record<string, AnyRecord>;
  createdAt: string;
  updatedAt: string;
}

export interface NamespaceRecord {
  labels: Labels;
  createdAt: string;
  images: Record<string, ImageRecord>;
  content: Record<string, ContentRecord>;
  leases: Record<string, LeaseRecord>;
  containers: Record<string, ContainerRecord>;
}

export interface DbState {
  version: typeof SCHEMA_VERSION;
  namespaces: Record<string, NamespaceRecord>;
}

export function emptyNamespace(labels: Labels = {}, now = new Date()): NamespaceRecord {
  return { labels, createdAt: now.toISOString(), images: {}, content: {}, leases: {}, containers: {} };
}
