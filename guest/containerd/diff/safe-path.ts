/**
 * Paths inside the directory a layer is applied to, resolved so that nothing escapes it.
 *
 * Entry names are cleaned: a leading `/` or `./` is dropped (names are relative to the target),
 * and a `..` that climbs above the target is an error. Parent directories are resolved one
 * component at a time with lstat: a symlink among them is followed *inside* the target, as if
 * the target were the root (an absolute link target starts at the target, `..` stops there), so
 * a symlink pointing out of the target can never carry a write out of it. The last component
 * is never followed: the entry replaces whatever is there.
 */
import { lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { TsdError } from '../../api/errors.js';

const MAX_SYMLINKS = 255;

/** The entry's path components under the target; [] is the target itself. */
export function cleanEntryPath(name: string): string[] {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw new TsdError('invalid-argument', `layer entry "${name}" escapes the target directory (path traversal)`);
      parts.pop();
    } else parts.push(part);
  }
  return parts;
}

/**
 * The real directory for `parents` under `root`, creating missing directories (mode 0755, as
 * tar does), following symlinks only within root. A non-directory in the way is an error.
 */
export async function resolveDirectory(root: string, parents: string[], entryName: string): Promise<string> {
  const resolved: string[] = [];
  const pending = [...parents];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop(); // clamped at the root, like a chroot
      continue;
    }
    const path = join(root, ...resolved, part);
    // Synchronous: one call per path component per entry, cheaper than a thread-pool round trip.
    const stats = lstatSync(path, { throwIfNoEntry: false });
    if (!stats) {
      mkdirSync(path, { mode: 0o755 });
      resolved.push(part);
    } else if (stats.isDirectory()) {
      resolved.push(part);
    } else if (stats.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw new TsdError('invalid-argument', `layer entry "${entryName}": too many levels of symbolic links`);
      const target = readlinkSync(path);
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/'));
    } else {
      throw new TsdError('invalid-argument', `layer entry "${entryName}": /${[...resolved, part].join('/')} is not a directory`);
    }
  }
  return join(root, ...resolved);
}
