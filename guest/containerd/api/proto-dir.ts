/**
 * Where the .proto files are at run time: beside this module in the source tree
 * (guest/containerd/api/proto), or beside the bundle (dist/guest/containerd-proto, copied there by
 * scripts/build-guest.mjs). TSD_CONTAINERD_PROTO overrides both.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsdError } from '../../api/errors.js';

export function protoDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [process.env['TSD_CONTAINERD_PROTO'], join(here, 'proto'), join(here, 'containerd-proto')];
  for (const dir of candidates) {
    if (dir && existsSync(join(dir, 'services', 'version.proto'))) return dir;
  }
  throw new TsdError('internal', `containerd .proto files not found (looked in ${candidates.filter(Boolean).join(', ')})`);
}
