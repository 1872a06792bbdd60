/**
 * The content store on a local filesystem (layout.ts). Blobs are immutable once committed;
 * labels change through atomic rewrites of their info file, serialised per digest.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { TsdError } from '../../api/errors.js';
import { TEMP_MARKER, writeFileAtomic } from '../../lib/atomic-file.js';
import type { ContentFilter, ContentInfo, ContentStore, ContentWriter, IngestStatus, WriterOptions } from './content-store.js';
import { anyFilter, type FieldLookup } from './filters.js';
import { IngestWriter, type IngestMeta } from './ingest-writer.js';
import { StoreLayout, sha256Hex } from './layout.js';

interface InfoFile {
  createdAt: string;
  updatedAt: string;
  labels: Record<string, string>;
}

export class LocalContentStore implements ContentStore {
  readonly layout: StoreLayout;
  readonly #lockedRefs = new Set<string>();
  readonly #labelQueues = new Map<string, Promise<unknown>>();

  private constructor(root: string) {
    this.layout = new StoreLayout(root);
  }

  /** Opens (creating) a store under `root` and removes temporaries a crash may have left. */
  static async open(root: string): Promise<LocalContentStore> {
    const store = new LocalContentStore(root);
    for (const dir of [store.layout.blobDir, store.layout.infoDir, store.layout.ingestRoot]) await mkdir(dir, { recursive: true });
    const ingestDirs = (await readdir(store.layout.ingestRoot)).map((key) => join(store.layout.ingestRoot, key));
    for (const dir of [store.layout.infoDir, ...ingestDirs]) {
      for (const name of await readdir(dir).catch(() => [])) {
        if (name.includes(TEMP_MARKER)) await rm(join(dir, name), { force: true });
      }
    }
    return store;
  }

  async info(digest: string): Promise<ContentInfo> {
    const stats = await stat(this.layout.blobPath(digest)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new TsdError('not-found', `content ${digest}: not found`);
      throw error;
    });
    const file = await this.#readInfoFile(digest);
    return {
      digest,
      size: stats.size,
      createdAt: file ? new Date(file.createdAt) : stats.mtime,
      updatedAt: file ? new Date(file.updatedAt) : stats.mtime,
      labels: file?.labels ?? {},
    };
  }

  async has(digest: string): Promise<boolean> {
    return await stat(this.layout.blobPath(digest)).then(() => true, () => false);
  }

  async update(digest: string, labels: Record<string, string>, fieldpaths: string[] = []): Promise<ContentInfo> {
    return await this.#serialise(digest, async () => {
      const current = await this.info(digest);
      let next: Record<string, string>;
      if (fieldpaths.length === 0 || fieldpaths.includes('labels')) next = { ...labels };
      else {
        next = { ...current.labels };
        for (const path of fieldpaths) {
          if (!path.startsWith('labels.')) throw new TsdError('invalid-argument', `cannot update field "${path}" of content ${digest}: only labels change`);
          const key = path.slice('labels.'.length);
          if (labels[key] === undefined || labels[key] === '') delete next[key];
          else next[key] = labels[key] as string;
        }
      }
      for (const [key, value] of Object.entries(next)) if (value === '') delete next[key];
      const file: InfoFile = { createdAt: current.createdAt.toISOString(), updatedAt: new Date().toISOString(), labels: next };
      await writeFileAtomic(this.layout.infoPath(digest), JSON.stringify(file));
      return { ...current, labels: next, updatedAt: new Date(file.updatedAt) };
    });
  }

  async walk(visit: (info: ContentInfo) => Promise<void> | void, ...filters: ContentFilter[]): Promise<void> {
    const predicates = filters.filter((f): f is (info: ContentInfo) => boolean => typeof f === 'function');
    const textual = anyFilter(filters.filter((f): f is string => typeof f === 'string'));
    const hasText = filters.some((f) => typeof f === 'string' && f.trim() !== '');
    for (const name of (await readdir(this.layout.blobDir)).sort()) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      const info = await this.info(`sha256:${name}`).catch(() => undefined);
      if (!info) continue; // deleted meanwhile
      const byText = hasText && textual(lookupFor(info));
      const byPredicate = predicates.some((p) => p(info));
      if ((predicates.length === 0 && !hasText) || byText || byPredicate) await visit(info);
    }
  }

  async list(...filters: ContentFilter[]): Promise<ContentInfo[]> {
    const found: ContentInfo[] = [];
    await this.walk((info) => void found.push(info), ...filters);
    return found;
  }

  async delete(digest: string): Promise<void> {
    const path = this.layout.blobPath(digest);
    if (!(await this.has(digest))) throw new TsdError('not-found', `content ${digest}: not found`);
    await rm(path, { force: true });
    await rm(this.layout.infoPath(digest), { force: true });
  }

  async read(digest: string, range: { offset?: number; length?: number } = {}): Promise<Readable> {
    const info = await this.info(digest);
    const start = range.offset ?? 0;
    if (start < 0 || start > info.size) throw new TsdError('invalid-argument', `read of ${digest} at offset ${start} beyond its ${info.size} bytes`);
    const end = range.length === undefined ? undefined : start + range.length - 1;
    if (end !== undefined && end < start) return Readable.from([]);
    return createReadStream(this.layout.blobPath(digest), { start, end });
  }

  async readAll(digest: string): Promise<Buffer> {
    await this.info(digest);
    return await readFile(this.layout.blobPath(digest));
  }

  async writer(ref: string, options: WriterOptions = {}): Promise<ContentWriter> {
    if (this.#lockedRefs.has(ref)) throw new TsdError('unavailable', `ingest ref "${ref}" is locked by another writer`);
    this.#lockedRefs.add(ref);
    const release = (): void => void this.#lockedRefs.delete(ref);
    try {
      const dir = this.layout.ingestDir(ref);
      await mkdir(dir, { recursive: true });
      const previous = await this.#readMeta(ref);
      const meta: IngestMeta = {
        ref,
        total: options.total ?? previous?.total ?? 0,
        startedAt: previous?.startedAt ?? new Date().toISOString(),
      };
      const expected = options.expected ?? previous?.expected;
      if (expected !== undefined) {
        sha256Hex(expected);
        meta.expected = expected;
      }
      if (!previous) await writeFileAtomic(join(dir, 'ref'), ref);
      if (JSON.stringify(previous) !== JSON.stringify(meta)) await writeFileAtomic(join(dir, 'meta.json'), JSON.stringify(meta));
      return await IngestWriter.open(this.layout, meta, release);
    } catch (error) {
      release();
      throw error;
    }
  }

  async status(ref: string): Promise<IngestStatus> {
    const meta = await this.#readMeta(ref);
    if (!meta) throw new TsdError('not-found', `ingest ${ref}: not found`);
    const data = await stat(join(this.layout.ingestDir(ref), 'data')).catch(() => undefined);
    const status: IngestStatus = {
      ref,
      offset: data?.size ?? 0,
      total: meta.total,
      startedAt: new Date(meta.startedAt),
      updatedAt: data?.mtime ?? new Date(meta.startedAt),
    };
    if (meta.expected) status.expected = meta.expected;
    return status;
  }

  async listStatuses(filter: (status: IngestStatus) => boolean = () => true): Promise<IngestStatus[]> {
    const statuses: IngestStatus[] = [];
    for (const key of await readdir(this.layout.ingestRoot)) {
      const ref = await readFile(join(this.layout.ingestRoot, key, 'ref'), 'utf8').catch(() => undefined);
      if (ref === undefined) continue;
      const status = await this.status(ref).catch(() => undefined);
      if (status && filter(status)) statuses.push(status);
    }
    return statuses;
  }

  async abort(ref: string): Promise<void> {
    if (this.#lockedRefs.has(ref)) throw new TsdError('unavailable', `ingest ref "${ref}" is locked by a writer; close it first`);
    const dir = this.layout.ingestDir(ref);
    if (!(await stat(dir).then(() => true, () => false))) throw new TsdError('not-found', `ingest ${ref}: not found`);
    await rm(dir, { recursive: true, force: true });
  }

  async #readMeta(ref: string): Promise<IngestMeta | undefined> {
    const text = await readFile(join(this.layout.ingestDir(ref), 'meta.json'), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : (JSON.parse(text) as IngestMeta);
  }

  async #readInfoFile(digest: string): Promise<InfoFile | undefined> {
    const text = await readFile(this.layout.infoPath(digest), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : (JSON.parse(text) as InfoFile);
  }

  #serialise<T>(digest: string, job: () => Promise<T>): Promise<T> {
    const previous = this.#labelQueues.get(digest) ?? Promise.resolve();
    const next = previous.then(job, job);
    const settled = next.catch(() => undefined);
    this.#labelQueues.set(digest, settled);
    void settled.then(() => {
      if (this.#labelQueues.get(digest) === settled) this.#labelQueues.delete(digest);
    });
    return next;
  }
}

function lookupFor(info: ContentInfo): FieldLookup {
  return (path) => {
    const [head, ...rest] = path;
    if (head === 'digest' && rest.length === 0) return info.digest;
    if (head === 'size' && rest.length === 0) return String(info.size);
    if (head === 'labels' && rest.length > 0) return info.labels[rest.join('.')];
    return undefined;
  };
}
