/**
 * The engine's containers on disk and in memory. Each container has a directory
 * DATA_ROOT/containers/<id>/ holding config.v2.json (the record, written atomically: after kill -9
 * it is the old or the new one), its json-file log and its hostname/hosts/resolv.conf files.
 * Lookups follow Docker: full ID, then exact name, then a unique ID prefix.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../../api/errors.js';
import { writeFileAtomic } from '../../../lib/atomic-file.js';
import type { ContainerRecord } from './container-record.js';

const RECORD_FILE = 'config.v2.json';
const FULL_ID = /^[a-f0-9]{64}$/;

export class ContainerStore {
  readonly #byId = new Map<string, ContainerRecord>();
  readonly #names = new Map<string, string>();

  private constructor(readonly root: string) {}

  /** Loads every container directory; a directory without a readable record is left alone (a create cut by kill -9). */
  static async open(dataRoot: string): Promise<ContainerStore> {
    const store = new ContainerStore(join(dataRoot, 'containers'));
    await mkdir(store.root, { recursive: true });
    for (const id of await readdir(store.root)) {
      if (!FULL_ID.test(id)) continue;
      try {
        const record = JSON.parse(await readFile(join(store.root, id, RECORD_FILE), 'utf8')) as ContainerRecord;
        store.#byId.set(id, record);
        store.#names.set(record.Name, id);
      } catch {
        await rm(join(store.root, id), { recursive: true, force: true });
      }
    }
    return store;
  }

  dir(id: string): string {
    return join(this.root, id);
  }

  all(): ContainerRecord[] {
    return [...this.#byId.values()];
  }

  get(id: string): ContainerRecord | undefined {
    return this.#byId.get(id);
  }

  /** Docker's lookup; 404 "No such container: x". */
  find(idOrName: string): ContainerRecord {
    const record = this.tryFind(idOrName);
    if (!record) throw new TsdError('not-found', `No such container: ${idOrName}`);
    return record;
  }

  tryFind(idOrName: string): ContainerRecord | undefined {
    if (idOrName === '') return undefined;
    const exact = this.#byId.get(idOrName);
    if (exact) return exact;
    const byName = this.#names.get(idOrName.startsWith('/') ? idOrName : `/${idOrName}`);
    if (byName) return this.#byId.get(byName);
    if (!/^[a-f0-9]+$/.test(idOrName)) return undefined;
    const matches = [...this.#byId.keys()].filter((id) => id.startsWith(idOrName));
    if (matches.length > 1) throw new TsdError('invalid-argument', `multiple IDs found with provided prefix: ${idOrName}`);
    return matches.length === 1 ? this.#byId.get(matches[0]!) : undefined;
  }

  nameTaken(name: string): boolean {
    return this.#names.has(name);
  }

  /** Claims a name for an ID; Docker's 409 when another container has it. */
  reserveName(name: string, id: string): void {
    const owner = this.#names.get(name);
    if (owner !== undefined && owner !== id) {
      throw new TsdError('conflict', `Conflict. The container name "${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    this.#names.set(name, id);
  }

  releaseName(name: string, id: string): void {
    if (this.#names.get(name) === id) this.#names.delete(name);
  }

  /** Writes the record (creating its directory) and makes it visible to lookups. */
  async save(record: ContainerRecord): Promise<void> {
    await mkdir(this.dir(record.ID), { recursive: true, mode: 0o710 });
    await writeFileAtomic(join(this.dir(record.ID), RECORD_FILE), JSON.stringify(record), 0o600);
    this.#byId.set(record.ID, record);
    this.#names.set(record.Name, record.ID);
  }

  /** Forgets the container and deletes its directory (log included). */
  async delete(record: ContainerRecord): Promise<void> {
    this.#byId.delete(record.ID);
    this.releaseName(record.Name, record.ID);
    await rm(this.dir(record.ID), { recursive: true, force: true });
  }
}
