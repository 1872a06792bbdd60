/** The server's UUID: made once, kept under the root (like containerd's introspection plugin). */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic-file.js';

export async function serverUuid(path: string): Promise<string> {
  const existing = await readFile(path, 'utf8').then((text) => text.trim(), () => '');
  if (/^[0-9a-f-]{36}$/.test(existing)) return existing;
  const uuid = randomUUID();
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, uuid);
  return uuid;
}
