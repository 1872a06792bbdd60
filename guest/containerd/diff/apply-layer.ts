/**
 * Applies an image layer (tar, gzip or zstd) to a directory, as an overlayfs upper layer or onto
 * a copy of the lower layers (see whiteouts.ts). Returns the layer's diff ID — the sha256 of the
 * uncompressed tar — so that the caller can check it against the image config's rootfs.diff_ids.
 */
import { createHash } from 'node:crypto';
import { lutimesSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { TsdError, asTsdError } from '../../api/errors.js';
import { decompress, type Compression, type ZstdImplementation } from './compression.js';
import { cleanEntryPath, resolveDirectory } from './safe-path.js';
import { readTar, type TarEntry } from './tar-reader.js';
import { OPAQUE_MARKER, WHITEOUT_META_PREFIX, WHITEOUT_PREFIX, applyOpaque, applyWhiteout, type ApplyMode } from './whiteouts.js';
import { writeEntry } from './write-entry.js';

export type { ApplyMode } from './whiteouts.js';

export interface ApplyOptions {
  mode: ApplyMode;
  /** zstd decompressor: the binary when on the PATH (default), or forced. */
  zstd?: ZstdImplementation;
}

export interface ApplyResult {
  /** sha256 of the uncompressed tar stream. */
  diffId: string;
  /** Bytes of the uncompressed tar stream. */
  size: number;
  compression: Compression;
}

export async function applyLayer(layer: Readable, target: string, options: ApplyOptions): Promise<ApplyResult> {
  const { compression, stream } = await decompress(layer, options.zstd);
  const hash = createHash('sha256');
  let size = 0;
  const counted = (async function* () {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  })();
  const createdHere = new Set<string>();
  const directories: Array<{ path: string; entry: TarEntry }> = [];
  try {
    for await (const { entry, body } of readTar(counted)) {
      const parts = cleanEntryPath(entry.path);
      const name = parts.pop();
      if (name === undefined) continue; // the target itself: its metadata belongs to the snapshot
      const dir = await resolveDirectory(target, parts, entry.path);
      if (name.startsWith(WHITEOUT_PREFIX)) {
        if (name === OPAQUE_MARKER) await applyOpaque(options.mode, dir, createdHere);
        else if (!name.startsWith(WHITEOUT_META_PREFIX)) await applyWhiteout(options.mode, dir, name.slice(WHITEOUT_PREFIX.length));
        continue;
      }
      const path = join(dir, name);
      const linkTarget = entry.type === 'hardlink' ? await resolveLinkTarget(target, entry) : undefined;
      await writeEntry(path, entry, body, linkTarget).catch((error: unknown) => {
        throw wrap(error, entry);
      });
      createdHere.add(path);
      if (entry.type === 'directory') directories.push({ path, entry });
    }
    stream.destroy();
  } catch (error) {
    stream.destroy();
    throw asTsdError(error);
  }
  // Children changed their directories' mtimes: set directory times last, deepest first.
  for (const { path, entry } of directories.reverse()) lutimesSync(path, entry.atime ?? entry.mtime, entry.mtime);
  return { diffId: `sha256:${hash.digest('hex')}`, size, compression };
}

/** A hard link's target, inside the target directory (it must already exist there). */
async function resolveLinkTarget(root: string, entry: TarEntry): Promise<string> {
  let parts: string[];
  try {
    parts = cleanEntryPath(entry.linkname);
  } catch {
    throw new TsdError('invalid-argument', `layer entry "${entry.path}": hard link target "${entry.linkname}" escapes the target directory (path traversal)`);
  }
  const name = parts.pop();
  if (name === undefined) throw new TsdError('invalid-argument', `layer entry "${entry.path}": hard link to the target directory itself`);
  return join(await resolveDirectory(root, parts, entry.path), name);
}

function wrap(error: unknown, entry: TarEntry): TsdError {
  const failure = asTsdError(error);
  if (error instanceof TsdError) return failure;
  const code = (error as NodeJS.ErrnoException).code;
  const kind = code === 'ENOENT' && entry.type === 'hardlink' ? 'invalid-argument' : 'internal';
  return new TsdError(kind, `layer entry "${entry.path}" (${entry.type}): ${failure.message}`, { cause: error });
}
