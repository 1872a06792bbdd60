/**
 * One ingest being written: appends to ingest/<key>/data while hashing, and commits by verifying
 * size and digest, then renaming the fsynced data into blobs/ (atomic). A resumed ingest re-hashes
 * what is on disk first, so a writer killed with -9 leaves an ingest that resumes or aborts cleanly.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../api/errors.js';
import { parseDigest } from '../../api/oci-image-spec.js';
import { fsyncDir, writeFileAtomic } from '../../lib/atomic-file.js';
import type { CommitOptions, ContentWriter, IngestStatus } from './content-store.js';
import type { StoreLayout } from './layout.js';

export interface IngestMeta {
  ref: string;
  total: number;
  expected?: string;
  startedAt: string;
}

export class IngestWriter implements ContentWriter {
  readonly ref: string;
  #meta: IngestMeta;
  #handle: FileHandle;
  #hash: Hash;
  #offset: number;
  #updatedAt = new Date();
  #closed = false;

  private constructor(readonly layout: StoreLayout, meta: IngestMeta, handle: FileHandle, hash: Hash, offset: number, private readonly release: () => void) {
    this.ref = meta.ref;
    this.#meta = meta;
    this.#handle = handle;
    this.#hash = hash;
    this.#offset = offset;
  }

  /** Opens the ingest directory (already created, meta written) and re-hashes existing data. */
  static async open(layout: StoreLayout, meta: IngestMeta, release: () => void): Promise<IngestWriter> {
    const dataPath = join(layout.ingestDir(meta.ref), 'data');
    const handle = await open(dataPath, 'a+');
    try {
      const hash = createHash('sha256');
      const { size } = await handle.stat();
      if (size > 0) {
        for await (const chunk of createReadStream(dataPath, { start: 0, end: size - 1 })) hash.update(chunk as Buffer);
      }
      return new IngestWriter(layout, meta, handle, hash, size, release);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  offset(): number {
    return this.#offset;
  }

  digest(): string {
    return `sha256:${this.#hash.copy().digest('hex')}`;
  }

  status(): IngestStatus {
    const status: IngestStatus = {
      ref: this.ref,
      offset: this.#offset,
      total: this.#meta.total,
      startedAt: new Date(this.#meta.startedAt),
      updatedAt: this.#updatedAt,
    };
    if (this.#meta.expected) status.expected = this.#meta.expected;
    return status;
  }

  async write(data: Buffer, offset?: number): Promise<void> {
    this.#assertOpen();
    if (offset !== undefined && offset !== this.#offset) {
      if (offset !== 0) {
        throw new TsdError('invalid-argument', `ingest ${this.ref}: write at offset ${offset}, but ${this.#offset} bytes are written (resume at ${this.#offset} or restart at 0)`);
      }
      await this.truncate(0);
    }
    if (this.#meta.total > 0 && this.#offset + data.length > this.#meta.total) {
      throw new TsdError('invalid-argument', `ingest ${this.ref}: ${this.#offset + data.length} bytes exceed the expected size ${this.#meta.total}`);
    }
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.#handle.write(data, written, data.length - written, this.#offset + written);
      written += bytesWritten;
    }
    this.#hash.update(data);
    this.#offset += data.length;
    this.#updatedAt = new Date();
  }

  async truncate(size: 0): Promise<void> {
    this.#assertOpen();
    if (size !== 0) throw new TsdError('unsupported', 'an ingest can only be truncated to 0');
    await this.#handle.truncate(0);
    this.#hash = createHash('sha256');
    this.#offset = 0;
    this.#updatedAt = new Date();
  }

  async commit(size: number, expected: string | undefined, options: CommitOptions = {}): Promise<void> {
    this.#assertOpen();
    const wantSize = size > 0 ? size : this.#meta.total;
    const wantDigest = expected ?? this.#meta.expected;
    if (wantSize > 0 && wantSize !== this.#offset) {
      throw new TsdError('invalid-argument', `ingest ${this.ref}: commit of ${this.#offset} bytes, expected ${wantSize} (nothing committed)`);
    }
    const actual = this.digest();
    if (wantDigest !== undefined) {
      parseDigest(wantDigest);
      if (wantDigest !== actual) {
        throw new TsdError('invalid-argument', `ingest ${this.ref}: content has digest ${actual}, expected ${wantDigest} (nothing committed)`);
      }
    }
    await this.#handle.sync();
    const dir = this.layout.ingestDir(this.ref);
    const blobPath = this.layout.blobPath(actual);
    const exists = await stat(blobPath).then(() => true, () => false);
    if (!exists) {
      const now = new Date().toISOString();
      await writeFileAtomic(this.layout.infoPath(actual), JSON.stringify({ createdAt: now, updatedAt: now, labels: options.labels ?? {} }));
      await chmod(join(dir, 'data'), 0o444);
      await rename(join(dir, 'data'), blobPath);
      await fsyncDir(this.layout.blobDir);
    }
    await this.#finish();
    await rm(dir, { recursive: true, force: true });
    if (exists) throw new TsdError('already-exists', `content ${actual} already exists (ingest ${this.ref} discarded)`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#finish();
  }

  async #finish(): Promise<void> {
    this.#closed = true;
    this.release();
    await this.#handle.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new TsdError('conflict', `ingest ${this.ref} is closed`);
  }
}
