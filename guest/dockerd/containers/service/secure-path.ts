/**
 * Resolving a container path to a host path under the container's root the way the container
 * would see it: each symlink is followed relative to the root (an absolute target starts again
 * at the root, `..` stops at it), so no path — however its links point — leaves the root.
 */
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../../api/errors.js';

const MAX_LINKS = 40;

/** Host path for `path` inside `root`; the last component is not followed when `followLast` is false. */
export async function resolveInRoot(root: string, path: string, followLast = true): Promise<string> {
  let pending = path.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, part);
    const info = await lstat(candidate).catch(() => undefined);
    if (info?.isSymbolicLink() && (followLast || pending.length > 0)) {
      if (++links > MAX_LINKS) throw new TsdError('invalid-argument', `too many levels of symbolic links: ${path}`);
      const target = await readlink(candidate);
      const targetParts = target.split('/').filter((p) => p !== '' && p !== '.');
      if (target.startsWith('/')) resolved.length = 0;
      pending = [...targetParts, ...pending];
      continue;
    }
    resolved.push(part);
  }
  return join(root, ...resolved);
}
