/**
 * The state directory: one directory per container under --root, holding state.json (written
 * atomically: temp file, fsync, rename) and the exec fifo while the container is "created".
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TsdError } from '../../api/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic-file.js';
import { FAST_PATH_FILE, formatFastPath, type FastPath } from './fast-path.js';
import { RECORD_VERSION, type ContainerRecord } from './record.js';

const ID_PATTERN = /^[\w+.-]+$/;

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    validateId(id);
    return join(this.root, id);
  }

  fifoPath(id: string): string {
    return join(this.dir(id), 'exec.fifo');
  }

  /** Claims the id: fails if a container with it exists. */
  reserve(id: string): string {
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    const dir = this.dir(id);
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new TsdError('already-exists', `container with id exists: ${id}`);
      throw error;
    }
    return dir;
  }

  save(record: ContainerRecord): void {
    const file = join(this.dir(record.id), 'state.json');
    writeFileAtomicSync(file, JSON.stringify(record), 0o600);
  }

  /** The front end's instructions (fast-path.ts); written once, at create. */
  saveFastPath(id: string, fast: FastPath): void {
    writeFileAtomicSync(join(this.dir(id), FAST_PATH_FILE), formatFastPath(fast), 0o600);
  }

  load(id: string): ContainerRecord {
    let text: string;
    try {
      text = readFileSync(join(this.dir(id), 'state.json'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new TsdError('not-found', `container does not exist: ${id}`);
      throw error;
    }
    const record = JSON.parse(text) as ContainerRecord;
    if (record.version !== RECORD_VERSION) throw new TsdError('unsupported', `container ${id}: state version ${String(record.version)} is not supported`);
    return record;
  }

  /** Ids of containers with a state file (directories of half-created ones are skipped). */
  list(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    return names.filter((name) => {
      try {
        readFileSync(join(this.root, name, 'state.json'));
        return true;
      } catch {
        return false;
      }
    }).sort();
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }
}

export function validateId(id: string): void {
  if (!id) throw new TsdError('invalid-argument', 'container id cannot be empty');
  if (!ID_PATTERN.test(id) || id === '.' || id === '..') throw new TsdError('invalid-argument', `invalid id format: ${id}`);
}
