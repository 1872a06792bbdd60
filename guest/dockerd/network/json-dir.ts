/**
 * A directory of JSON records, one file per key, each written atomically (temp + fsync + rename),
 * so a kill -9 leaves every record old or new. Shared by networks, endpoints and volumes.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMP_MARKER, writeFileAtomic } from '../../lib/atomic-file.js';

export class JsonDir<T> {
  constructor(readonly dir: string) {}

  async loadAll(): Promise<Map<string, T>> {
    await mkdir(this.dir, { recursive: true });
    const records = new Map<string, T>();
    for (const name of await readdir(this.dir)) {
      if (name.includes(TEMP_MARKER)) {
        await rm(join(this.dir, name), { force: true }); // an interrupted write; the old record stands
        continue;
      }
      if (!name.endsWith('.json')) continue;
      records.set(name.slice(0, -'.json'.length), JSON.parse(await readFile(join(this.dir, name), 'utf8')) as T);
    }
    return records;
  }

  async put(key: string, record: T): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(join(this.dir, `${key}.json`), JSON.stringify(record, null, 1) + '\n', 0o600);
  }

  async delete(key: string): Promise<void> {
    await rm(join(this.dir, `${key}.json`), { force: true });
  }
}
