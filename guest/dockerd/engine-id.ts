/**
 * The engine's ID (Docker reports a UUID in /info): created once, kept in the data root so that it
 * survives restarts. Written atomically (temp + fsync + rename).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/atomic-file.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function loadEngineId(dataRoot: string): Promise<string> {
  const path = join(dataRoot, 'engine-id');
  try {
    const text = (await readFile(path, 'utf8')).trim();
    if (UUID.test(text)) return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const id = randomUUID();
  await mkdir(dataRoot, { recursive: true });
  await writeFileAtomic(path, id + '\n');
  return id;
}
