/**
 * Unpacks an uploaded image archive (docker save output) into a private temporary directory,
 * refusing anything that could escape it: absolute paths, `..`, devices. Symlinks and hard links
 * (classic `docker save` links duplicate layers) are recorded as aliases rather than created, so
 * reading a path can never leave the directory.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { TsdError } from '../../api/errors.js';
import { readTar } from '../../containerd/diff/tar-reader.js';

export interface ExtractedArchive {
  dir: string;
  /** The file a path in the archive stands for (following recorded links), or undefined. */
  resolve(path: string): string | undefined;
}

export async function extractArchive(input: AsyncIterable<Buffer>, dir: string): Promise<ExtractedArchive> {
  const files = new Set<string>();
  const links = new Map<string, string>();
  await mkdir(dir, { recursive: true });
  for await (const { entry, body } of readTar(input)) {
    const path = clean(entry.path);
    if (path === '') continue;
    if (entry.type === 'directory') {
      await mkdir(join(dir, path), { recursive: true });
    } else if (entry.type === 'file') {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await pipeline(Readable.from(body), createWriteStream(join(dir, path)));
      files.add(path);
    } else if (entry.type === 'symlink') {
      links.set(path, clean(posix.join(posix.dirname(path), entry.linkname)));
    } else if (entry.type === 'hardlink') {
      links.set(path, clean(entry.linkname));
    } else {
      throw new TsdError('invalid-argument', `invalid image archive: entry "${entry.path}" is a ${entry.type}`);
    }
  }
  return {
    dir,
    resolve(path) {
      let current = clean(path);
      for (let hops = 0; hops < 16; hops++) {
        if (files.has(current)) return join(dir, current);
        const next = links.get(current);
        if (next === undefined) return undefined;
        current = next;
      }
      return undefined;
    },
  };
}

/** Normalises an archive path; anything absolute or climbing out is an error. */
function clean(path: string): string {
  const normalized = posix.normalize(path.replace(/^\.\/+/, '')).replace(/\/+$/, '');
  if (normalized === '.' ) return '';
  if (path.startsWith('/') || normalized === '..' || normalized.startsWith('../')) {
    throw new TsdError('invalid-argument', `invalid image archive: path "${path}" escapes the archive`);
  }
  return normalized;
}
