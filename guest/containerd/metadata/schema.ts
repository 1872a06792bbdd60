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

export interface NamespaceRecord {
  labels: Labels;
  createdAt: string;
  images: Record<string, ImageRecord>;
  content: Record<string, ContentRecord>;
  leases: Record<string, LeaseRecord>;
  /** Containers arrive with the tasks service; kept so a namespace with them is not empty. */
  containers: Record<string, unknown>;
}

export interface DbState {
  version: typeof SCHEMA_VERSION;
  namespaces: Record<string, NamespaceRecord>;
}

export function emptyNamespace(labels: Labels = {}, now = new Date()): NamespaceRecord {
  return { labels, createdAt: now.toISOString(), images: {}, content: {}, leases: {}, containers: {} };
}
