/**
 * The recipe's file globs: `*` matches within one path segment, `**` matches any number of
 * segments (including none). Matching is pure; selectFiles walks a directory with it.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export function globToRegExp(pattern: string): RegExp {
  let source = '';
  const parts = pattern.split('/');
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (part === '**') {
      source += last ? '.*' : '(?:[^/]+/)*';
      return;
    }
    source += part.split('*').map(escape).join('[^/]*') + (last ? '' : '/');
  });
  return new RegExp(`^${source}$`);
}

function escape(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

export function matchGlob(pattern: string, path: string): boolean {
  return globToRegExp(pattern).test(path);
}

/** Paths (relative to root, sorted) of the files and symlinks under root that match the pattern. */
export async function selectFiles(root: string, pattern: string): Promise<string[]> {
  const regexp = globToRegExp(pattern);
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const name of await readdir(join(root, relative))) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const stat = await lstat(join(root, path));
      if (stat.isDirectory()) await walk(path);
      else if (regexp.test(path)) found.push(path);
    }
  };
  // Walk only below the pattern's literal leading directories.
  const parts = pattern.split('/');
  const firstGlob = parts.findIndex((part) => part.includes('*'));
  const prefix = (firstGlob < 0 ? parts.slice(0, -1) : parts.slice(0, firstGlob)).join('/');
  try {
    await walk(prefix);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return found.sort();
}
