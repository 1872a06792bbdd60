/**
 * npm packages for the guest (the Node runtime, native prebuilts), fetched with `npm pack`
 * into the cache once, checked against the pinned integrity, and unpacked once.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import { produceOnce, tempPathFor } from './cache.js';
import { run } from './run.js';

export interface NpmPackageRef {
  package: string;
  version: string;
  integrity: string;
}

function baseName(ref: NpmPackageRef): string {
  return `${ref.package.replace(/^@/, '').replace(/\//g, '-')}-${ref.version}`;
}

/** The package tarball in the cache, fetched once and verified against its integrity. */
export async function npmPack(cacheDir: string, ref: NpmPackageRef, onProgress?: (line: string) => void): Promise<string> {
  const dir = join(cacheDir, 'npm');
  const target = join(dir, `${baseName(ref)}.tgz`);
  if (existsSync(target)) return target;
  onProgress?.(`npm: fetching ${ref.package}@${ref.version}`);
  await mkdir(dir, { recursive: true });
  const tmp = tempPathFor(target);
  try {
    await mkdir(tmp);
    const out = await run('npm', ['pack', `${ref.package}@${ref.version}`, '--json', '--pack-destination', tmp], { cwd: tmp });
    const [packed] = JSON.parse(out) as Array<{ filename: string; integrity: string }>;
    if (packed === undefined) throw new TsdError('internal', `npm pack ${ref.package}@${ref.version} returned nothing`);
    if (packed.integrity !== ref.integrity) {
      throw new TsdError('conflict', `${ref.package}@${ref.version}: integrity ${packed.integrity} does not match the pinned ${ref.integrity}`);
    }
    const files = await readdir(tmp);
    const tgz = files.find((f) => f.endsWith('.tgz'));
    if (tgz === undefined) throw new TsdError('internal', `npm pack ${ref.package}@${ref.version} wrote no tarball`);
    await rename(join(tmp, tgz), target);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return target;
}

/** The package's root directory (the tarball's `package/`), unpacked into the cache once. */
export async function npmUnpack(cacheDir: string, ref: NpmPackageRef, onProgress?: (line: string) => void): Promise<string> {
  const tgz = await npmPack(cacheDir, ref, onProgress);
  const target = tgz.replace(/\.tgz$/, '');
  if (!existsSync(target)) {
    await produceOnce(target, async (tmp) => {
      await mkdir(tmp, { recursive: true });
      await run('tar', ['-xzf', tgz, '-C', tmp, '--no-same-owner']);
    });
  }
  return join(target, 'package');
}
