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
  // Once a component is absent, nothing below it exists either: lexical, no lstat (until a '..').
  let absent = false;
  while (rest.length > 0) {
    const part = rest.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      absent = false; // back in a directory that may exist
      continue;
    }
    let target: string | undefined;
    if (!absent) {
      const candidate = posix.join(root, ...resolved, part);
      try {
        // throwIfNoEntry: an absent path is the common case here, and an exception costs more than the call.
        const stat = lstatSync(candidate, { throwIfNoEntry: false });
        if (stat === undefined) absent = true;
        else if (stat.isSymbolicLink()) target = readlinkSync(candidate);
      } catch {
        absent = true; // ENOTDIR and the like: not a path in the rootfs; the helper reports it
      }
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
