/**
 * The content store as clients see it: blobs are stored once (content/LocalContentStore), and
 * each namespace holds its own membership record and labels, like containerd's metadata layer.
 * A blob is visible in a namespace only once it was written (or re-announced) there; ingests are
 * namespaced by prefixing their ref. Deleting the last namespace's record deletes the bytes.
 * A commit or claim (bytes, then record and lease in one update) holds the GC lock shared and a
 * delete holds it exclusive (gc-lock.ts): bytes are never deleted under a record being added.
 */
import type { Readable } from 'node:stream';
import { TsdError } from '../../api/errors.js';
import { parseDigest } from '../../api/oci-image-spec.js';
import type { ContentInfo, IngestStatus, ContentWriter } from '../content/content-store.js';
import { anyFilter, type FieldLookup } from '../content/filters.js';
import type { LocalContentStore } from '../content/local-store.js';
import { addLeaseResource } from './lease-store.js';
import type { MetadataDb } from './metadata-db.js';
import { validateLabels } from './namespace-store.js';
import type { ContentRecord, Labels } from './schema.js';

export interface NamespacedWriter {
  readonly ref: string;
  offset(): number;
  digest(): string;
  status(): IngestStatus;
  write(data: Buffer, offset?: number): Promise<void>;
  truncate(size: 0): Promise<void>;
  /** Commits into the namespace; returns the committed digest. */
  commit(size: number, expected: string | undefined, labels?: Labels): Promise<string>;
  close(): Promise<void>;
}

export class NamespacedContent {
  constructor(private readonly db: MetadataDb, readonly blobs: LocalContentStore) {}

  info(ns: string, digest: string): ContentInfo {
    parseDigest(digest);
    const record = this.db.namespace(ns)?.content[digest];
    if (!record) throw new TsdError('not-found', `content digest ${digest}`);
    return toInfo(record);
  }

  list(ns: string, filters: string[]): ContentInfo[] {
    const matches = anyFilter(filters);
    return Object.values(this.db.namespace(ns)?.content ?? {}).filter((r) => matches(lookup(r))).map(toInfo);
  }

  async update(ns: string, digest: string, labels: Labels, paths: string[]): Promise<ContentInfo> {
    validateLabels(labels);
    return await this.db.updateNamespace(ns, (record) => {
      const content = record.content[digest];
      if (!content) throw new TsdError('not-found', `content digest ${digest}`);
      if (paths.length === 0 || paths.includes('labels')) content.labels = dropEmpty(labels);
      for (const path of paths) {
        if (path === 'labels') continue;
        if (!path.startsWith('labels.')) throw new TsdError('invalid-argument', `cannot update "${path}" field on content info ${digest}`);
        const key = path.slice('labels.'.length);
        const value = labels[key];
        if (value === undefined || value === '') delete content.labels[key];
        else content.labels[key] = value;
      }
      content.updatedAt = new Date().toISOString();
      return toInfo(content);
    });
  }

  async delete(ns: string, digest: string): Promise<void> {
    parseDigest(digest);
    await this.db.gcLock.exclusive(async () => {
      const stillUsed = await this.db.updateNamespace(ns, (record, draft) => {
        if (!record.content[digest]) throw new TsdError('not-found', `content digest ${digest}`);
        delete record.content[digest];
        return Object.values(draft.namespaces).some((other) => other.content[digest] !== undefined);
      });
      if (!stillUsed) await this.blobs.delete(digest).catch(() => undefined);
    });
  }

  async read(ns: string, digest: string, range: { offset?: number; length?: number }): Promise<Readable> {
    this.info(ns, digest);
    return await this.blobs.read(digest, range);
  }

  /**
   * Opens (or resumes) an ingest. When `expected` is already in the namespace this fails with
   * AlreadyExists; when it is stored for another namespace, it is added here and then fails with
   * AlreadyExists, which clients take as "done" (containerd's shared content policy).
   */
  async writer(ns: string, ref: string, options: { total?: number; expected?: string }, lease?: string): Promise<NamespacedWriter> {
    if (ref === '') throw new TsdError('invalid-argument', 'ingest ref must not be empty');
    if (options.expected) await this.#claimExisting(ns, options.expected, lease);
    const inner = await this.blobs.writer(ingestKey(ns, ref), options);
    return this.#wrap(ns, ref, inner, lease);
  }

  async status(ns: string, ref: string): Promise<IngestStatus> {
    const status = await this.blobs.status(ingestKey(ns, ref)).catch((error: unknown) => {
      throw error instanceof TsdError && error.code === 'not-found' ? new TsdError('not-found', `ingest ${ref}`) : error;
    });
    return { ...status, ref };
  }

  async listStatuses(ns: string, filters: string[]): Promise<IngestStatus[]> {
    const prefix = ingestKey(ns, '');
    const matches = anyFilter(filters);
    const statuses = await this.blobs.listStatuses((s) => s.ref.startsWith(prefix));
    return statuses
      .map((s) => ({ ...s, ref: s.ref.slice(prefix.length) }))
      .filter((s) => matches(([head, ...rest]) => (head === 'ref' && rest.length === 0 ? s.ref : undefined)));
  }

  async abort(ns: string, ref: string): Promise<void> {
    await this.blobs.abort(ingestKey(ns, ref)).catch((error: unknown) => {
      throw error instanceof TsdError && error.code === 'not-found' ? new TsdError('not-found', `ingest ${ref}`) : error;
    });
  }

  async #claimExisting(ns: string, digest: string, lease: string | undefined): Promise<void> {
    parseDigest(digest);
    await this.db.gcLock.shared(async () => {
      if (this.db.namespace(ns)?.content[digest]) {
        // Like containerd, a writer that finds the blob present adds it to its lease: the client
        // skips the write, and until it references the blob only its lease keeps it (another
        // pull's lease, about to be deleted, may be what holds it now).
        if (lease) await this.db.updateNamespace(ns, (record) => addLeaseResource(record, lease, { type: 'content', id: digest }));
      } else {
        if (!(await this.blobs.has(digest))) return;
        const { size } = await this.blobs.info(digest);
        await this.#record(ns, digest, size, {}, lease);
      }
      throw new TsdError('already-exists', `content ${digest}`);
    });
  }

  async #record(ns: string, digest: string, size: number, labels: Labels, lease: string | undefined): Promise<void> {
    await this.db.updateNamespace(ns, (record) => {
      if (record.content[digest]) throw new TsdError('already-exists', `content ${digest}`);
      const now = new Date().toISOString();
      record.content[digest] = { digest, size, labels: dropEmpty(labels), createdAt: now, updatedAt: now };
      if (lease) addLeaseResource(record, lease, { type: 'content', id: digest });
    });
  }

  #wrap(ns: string, ref: string, inner: ContentWriter, lease: string | undefined): NamespacedWriter {
    const record = this.#record.bind(this);
    const gcLock = this.db.gcLock;
    return {
      ref,
      offset: () => inner.offset(),
      digest: () => inner.digest(),
      status: () => ({ ...inner.status(), ref }),
      write: (data, offset) => inner.write(data, offset),
      truncate: (size) => inner.truncate(size),
      close: () => inner.close(),
      async commit(size, expected, labels = {}) {
        validateLabels(labels);
        const digest = inner.digest();
        const committed = inner.offset();
        return await gcLock.shared(async () => {
          await inner.commit(size, expected).catch((error: unknown) => {
            // Stored already for another namespace: the bytes are the same, claim them here.
            if (!(error instanceof TsdError && error.code === 'already-exists')) throw error;
          });
          await record(ns, digest, committed, labels, lease);
          return digest;
        });
      },
    };
  }
}

function ingestKey(ns: string, ref: string): string {
  return `${ns}/${ref}`;
}

function toInfo(record: ContentRecord): ContentInfo {
  return {
    digest: record.digest,
    size: record.size,
    labels: { ...record.labels },
    createdAt: new Date(record.createdAt),
    updatedAt: new Date(record.updatedAt),
  };
}

function lookup(record: ContentRecord): FieldLookup {
  return ([head, ...rest]) => {
    if (head === 'digest' && rest.length === 0) return record.digest;
    if (head === 'size' && rest.length === 0) return String(record.size);
    if (head === 'labels' && rest.length > 0) return record.labels[rest.join('.')];
    return undefined;
  };
}

function dropEmpty(labels: Labels): Labels {
  return Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
}
