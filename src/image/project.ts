/**
 * Where the builder's local inputs live: the project checkout (images/<arch>.yaml, images/rootfs,
 * dist/guest, package-lock.json), found by walking up from this module (src/ or dist/src/).
 */
import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsdError } from '../../guest/api/errors.js';
import type { GuestArch } from './guest-image.js';
import { sha256 } from './manifest.js';
import { parseRecipe, type Recipe } from './recipe.js';

export interface Project {
  root: string;
}

export function findProject(): Project {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'images', 'x86_64.yaml')) && existsSync(join(dir, 'package.json'))) return { root: dir };
    const parent = dirname(dir);
    if (parent === dir) throw new TsdError('not-found', 'cannot find the tsd project (images/x86_64.yaml) above the builder');
    dir = parent;
  }
}

export function recipePath(project: Project, arch: GuestArch): string {
  return join(project.root, 'images', `${arch}.yaml`);
}

export async function loadRecipe(project: Project, arch: GuestArch): Promise<Recipe> {
  const file = recipePath(project, arch);
  const recipe = parseRecipe(await readFile(file, 'utf8'), file);
  if (recipe.arch !== arch) throw new TsdError('invalid-argument', `${file}: arch is ${recipe.arch}, expected ${arch}`);
  return recipe;
}

/** sha256 over a directory's relative paths, modes (executable or not) and contents, in sorted order. */
export async function hashDirectory(root: string): Promise<string> {
  const lines: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const name of (await readdir(join(root, relative))).sort()) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const stat = await lstat(join(root, path));
      if (stat.isDirectory()) await walk(path);
      else if (stat.isSymbolicLink()) lines.push(`${path} -> ${await readlink(join(root, path))}`);
      else lines.push(`${path} ${stat.mode & 0o111 ? 'x' : '-'} ${sha256(await readFile(join(root, path)))}`);
    }
  };
  await walk('');
  return sha256(lines.join('\n'));
}
