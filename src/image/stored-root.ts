/**
 * The root disk's two forms. The guest boots fastest from a disk it need not decompress (under tcg,
 * zstd-decompressing node's binary from a compressed squashfs cost ~3 s of the boot), but the
 * image must stay small in the cache and on the wire. So with `root.stored: zstd` the image's file
 * is the plain disk zstd-compressed (`root.erofs.zst`, in the digest), and the host unpacks it
 * once, at first use, beside it (`root.erofs`), checking its sha256 against the manifest before
 * it is renamed into place. Later starts only check that the unpacked file has the recorded size.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import { produceOnce } from './cache.js';
import { sha256File, type OutputFile } from './manifest.js';
import { run } from './run.js';

/**
 * zstd level 12 with a 128 MiB window (--long=27: the whole disk, so node's binary and the
 * libraries compress against each other), multi-threaded: the output does not depend on the
 * thread count, so the digest is the same on any host. On the x86_64 tree (136 MB plain erofs),
 * measured here: level 3 gives 46.7 MB in ~1 s of CPU, 9 gives 42.4 MB in 3 s, 12 gives 41.3 MB
 * in 8 s, 19 gives 37.3 MB in ~70 s. Images are rebuilt whenever a guest bundle changes, on a
 * shared 2-core host: 12 keeps that cheap and the image well under 60 MB.
 */
export const STORED_ZSTD_ARGS = ['-12', '--long=27', '-T0', '-q', '-f', '--no-progress'];
/** The window must be allowed when unpacking too. */
const UNPACK_ARGS = ['-d', '--long=27', '-q', '-f', '--no-progress'];

export function storedFileName(rootDiskName: string): string {
  return `${rootDiskName}.zst`;
}

/** Compresses the plain root disk `raw` into `out` (build time). */
export async function compressRootDisk(raw: string, out: string): Promise<void> {
  await run('zstd', [...STORED_ZSTD_ARGS, raw, '-o', out]);
}

/**
 * The plain root disk of an image directory, unpacked from `stored` when it is not there yet.
 * Concurrent starts race harmlessly (produceOnce keeps the first rename); a truncated or altered
 * result never gets the final name.
 */
export async function unpackedRootDisk(imageDir: string, stored: OutputFile, unpacked: OutputFile): Promise<string> {
  const target = join(imageDir, unpacked.name);
  if (existsSync(target) && (await stat(target)).size === unpacked.size) return target;
  await produceOnce(target, async (tmp) => {
    await run('zstd', [...UNPACK_ARGS, join(imageDir, stored.name), '-o', tmp]);
    const sum = await sha256File(tmp);
    if (sum !== unpacked.sha256) {
      throw new TsdError('internal', `${join(imageDir, stored.name)} unpacks to sha256 ${sum}, the manifest says ${unpacked.sha256}: the cached image is damaged (rebuild it with \`tsd image build --rebuild\`)`);
    }
  });
  return target;
}
