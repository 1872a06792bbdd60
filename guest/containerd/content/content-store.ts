/**
 * The content store's interface: immutable blobs addressed by digest, written through named
 * ingests (`ref`) that can be resumed after a crash and are verified before they become blobs.
 * Vocabulary follows containerd's content.Store: info, status, writer, commit, abort, walk.
 */
import type { Readable } from 'node:stream';

export interface ContentInfo {
  digest: string;
  size: number;
  createdAt: Date;
  updatedAt: Date;
  labels: Record<string, string>;
}

/** An ingest in progress: what has been written under `ref` so far. */
export interface IngestStatus {
  ref: string;
  offset: number;
  /** Expected total size, when the writer was told (0 when unknown). */
  total: number;
  /** Expected digest, when the writer was told. */
  expected?: string;
  startedAt: Date;
  updatedAt: Date;
}

export interface WriterOptions {
  total?: number;
  expected?: string;
}

export interface CommitOptions {
  labels?: Record<string, string>;
}

/** Writes one ingest. Only one writer per ref at a time; `close` keeps the ingest for resuming. */
export interface ContentWriter {
  readonly ref: string;
  /** Bytes written so far (the offset the next write must start at). */
  offset(): number;
  /** Digest of the bytes written so far. */
  digest(): string;
  /** Appends at `offset` (default: the current offset); offset 0 on a non-empty ingest restarts it. */
  write(data: Buffer, offset?: number): Promise<void>;
  /** Restarts the ingest from zero (e.g. when a registry ignores a Range request). */
  truncate(size: 0): Promise<void>;
  /**
   * Verifies size and digest (when given, or the writer's expected ones) and makes the data an
   * immutable blob atomically. A mismatch fails with 'invalid-argument', and nothing is committed.
   * A blob that already exists fails with 'already-exists' and the ingest is removed.
   */
  commit(size: number, expected: string | undefined, options?: CommitOptions): Promise<void>;
  /** Releases the ref; the ingest stays on disk and can be resumed with `writer(ref)`. */
  close(): Promise<void>;
  status(): IngestStatus;
}

/** A filter in containerd's syntax (`labels."a.b"==c,digest~=^sha256:`), or a predicate. */
export type ContentFilter = string | ((info: ContentInfo) => boolean);

export interface ContentStore {
  info(digest: string): Promise<ContentInfo>;
  /** Sets labels; with `fieldpaths` (`labels`, `labels.KEY`) only those change. Empty values remove. */
  update(digest: string, labels: Record<string, string>, fieldpaths?: string[]): Promise<ContentInfo>;
  /** Every blob matching any of the filters (all blobs when none). */
  walk(visit: (info: ContentInfo) => Promise<void> | void, ...filters: ContentFilter[]): Promise<void>;
  list(...filters: ContentFilter[]): Promise<ContentInfo[]>;
  delete(digest: string): Promise<void>;
  has(digest: string): Promise<boolean>;
  /** Reads a blob (or a range of it). */
  read(digest: string, range?: { offset?: number; length?: number }): Promise<Readable>;
  readAll(digest: string): Promise<Buffer>;
  /** Opens (or resumes) the ingest `ref`. A ref already open fails with 'unavailable' (locked). */
  writer(ref: string, options?: WriterOptions): Promise<ContentWriter>;
  status(ref: string): Promise<IngestStatus>;
  listStatuses(filter?: (status: IngestStatus) => boolean): Promise<IngestStatus[]>;
  abort(ref: string): Promise<void>;
}
