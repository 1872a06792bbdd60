/**
 * Resolves a path inside a container's rootfs as the container would see it: symlinks are
 * followed relative to the rootfs, never out of it (like runc's securejoin). Components that do
 * not exist yet are kept lexically; the helper creates them.
 */
import { lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';

const MAX_SYMLINKS = 255;

export function secureJoin(root: string, unsafePath: string): string {
  let rest = posix.normalize(`/${unsafePath}`).split('/').filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (rest.length > 0) {
    const part = rest.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = posix.join(root, ...resolved, part);
    let target: string | undefined;
    try {
      if (lstatSync(candidate).isSymbolicLink()) target = readlinkSync(candidate);
    } catch {
      // absent: keep the name, the rest is lexical
    }
    if (target === undefined) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw Object.assign(new Error(`too many symlinks in ${unsafePath}`), { code: 'ELOOP' });
    if (target.startsWith('/')) resolved.length = 0;
    rest = [...target.split('/').filter(Boolean), ...rest];
  }
  return posix.join(root, ...resolved);
}
