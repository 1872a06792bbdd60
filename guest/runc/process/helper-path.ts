/**
 * Where the C helper binary is: $TSD_RUNC_HELPER, else `native/<arch>/tsd-runc-helper` next to or
 * above the running bundle (dist/guest/runc.mjs → dist/native/…; in the guest image /opt/tsd/…).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ARCH: Readonly<Record<string, string>> = { x64: 'x86_64', arm64: 'aarch64' };

let cached: string | undefined;

export function helperPath(): string {
  if (cached) return cached;
  if (process.env.TSD_RUNC_HELPER) return (cached = process.env.TSD_RUNC_HELPER);
  const relative = join('native', ARCH[process.arch] ?? process.arch, 'tsd-runc-helper');
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, relative), join(dir, 'dist', relative)]) {
      if (existsSync(candidate)) return (cached = candidate);
    }
    dir = dirname(dir);
  }
  return (cached = join(dirname(fileURLToPath(import.meta.url)), '..', relative));
}
