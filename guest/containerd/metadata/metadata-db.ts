/**
 * The metadata database: one JSON document, read once at start and rewritten atomically
 * (temp + fsync + rename, guest/lib/atomic-file) after every change. Changes run one at
 * a time on a copy: a change that throws leaves the database as it was, and a kill -9 at any
 * moment leaves the previous or the next document on disk, never a mix.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TsdError } from '../../api/errors.js';
import { writeFileAtomic } from '../../lib/atomic-file.js';
import { GcLock } from './gc-lock.js';
import { SCHEMA_VERSION, emptyNamespace, type DbState, type NamespaceRecord } from './schema.js';

export class MetadataDb {
  #state: DbState;
  #queue: Promise<unknown> = Promise.resolve();
  /** Shared by multi-step reference-adding work, exclusive for the garbage collector (gc-lock.ts). */
  readonly gcLock = new GcLock();

  private constructor(readonly path: string, state: DbState) {
    this.#state = state;
  }

  static async open(path: string): Promise<MetadataDb> {
    await mkdir(dirname(path), { recursive: true });
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) return new MetadataDb(path, { version: SCHEMA_VERSION, namespaces: {} });
    const state = JSON.parse(text) as DbState;
    if (state.version !== SCHEMA_VERSION) throw new TsdError('unsupported', `metadata ${path}: schema version ${String(state.version)}, this build reads ${SCHEMA_VERSION}`);
    return new MetadataDb(path, state);
  }

  /** The current state; callers must not mutate it. */
  view(): Readonly<DbState> {
    return this.#state;
  }

  namespace(name: string): NamespaceRecord | undefined {
    return this.#state.namespaces[name];
  }

  /** Runs `change` on a copy and persists it; serialised with every other update. */
  update<T>(change: (draft: DbState) => T): Promise<T> {
    return this.#serialise(() => this.#apply(change));
  }

  /**
   * Runs `work` alone: updates asked for meanwhile wait until it finishes, so what it reads stays
   * true while it awaits. It changes the database only through the `update` it is given (the
   * ordinary one would wait for `work` itself).
   */
  hold<T>(work: (update: <R>(change: (draft: DbState) => R) => Promise<R>) => Promise<T>): Promise<T> {
    return this.#serialise(() => work((change) => this.#apply(change)));
  }

  async #apply<T>(change: (draft: DbState) => T): Promise<T> {
    const draft = structuredClone(this.#state);
    const result = change(draft);
    await writeFileAtomic(this.path, JSON.stringify(draft));
    this.#state = draft;
    return result;
  }

  #serialise<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** `update` inside one namespace, creating it on first use as containerd does. */
  updateNamespace<T>(name: string, change: (ns: NamespaceRecord, draft: DbState) => T): Promise<T> {
    return this.update((draft) => {
      const ns = (draft.namespaces[name] ??= emptyNamespace());
      return change(ns, draft);
    });
  }
}
