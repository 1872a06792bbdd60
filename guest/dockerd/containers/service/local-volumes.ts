/**
 * The fallback volume store the container service uses until the volume module is wired in:
 * Docker's layout, DATA_ROOT/volumes/<name>/_data, anonymous volumes named by 64 hex digits.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { VolumeMounts } from './deps.js';

export function localVolumes(dataRoot: string): VolumeMounts {
  const root = join(dataRoot, 'volumes');
  return {
    async mount(name) {
      const volume = name || randomBytes(32).toString('hex');
      const path = join(root, volume, '_data');
      await mkdir(path, { recursive: true, mode: 0o755 });
      return { name: volume, path };
    },
    async remove(names) {
      for (const name of names) await rm(join(root, name), { recursive: true, force: true });
    },
  };
}
