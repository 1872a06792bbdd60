/**
 * The root disk stored zstd-compressed (src/image/stored-root.ts), with the host's zstd: unpacked
 * once beside the stored file, checked against the manifest's sha256, unpacked again when the
 * plain file is missing or has the wrong size, refused when it does not match.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256File, type OutputFile } from '../../src/image/manifest.js';
import { compressRootDisk, storedFileName, unpackedRootDisk } from '../../src/image/stored-root.js';

async function fixture(t: { teardown(fn: () => Promise<void>): void }): Promise<{ dir: string; stored: OutputFile; plain: OutputFile }> {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-stored-root-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const plainPath = join(dir, 'root.erofs');
  // compressible and not: zeros and random bytes, as a disk holds both
  await writeFile(plainPath, Buffer.concat([Buffer.alloc(1 << 20), randomBytes(256 << 10)]));
  const storedPath = join(dir, storedFileName('root.erofs'));
  await compressRootDisk(plainPath, storedPath);
  const plain = { name: 'root.erofs', size: (await stat(plainPath)).size, sha256: await sha256File(plainPath) };
  const stored = { name: 'root.erofs.zst', size: (await stat(storedPath)).size, sha256: await sha256File(storedPath) };
  return { dir, stored, plain };
}

test('the plain disk is unpacked at first use, then found by its size', async (t) => {
  const { dir, stored, plain } = await fixture(t);
  t.true(stored.size < plain.size / 2);
  await rm(join(dir, plain.name));
  const path = await unpackedRootDisk(dir, stored, plain);
  t.is(path, join(dir, plain.name));
  t.is(await sha256File(path), plain.sha256);
  t.deepEqual((await readdir(dir)).sort(), ['root.erofs', 'root.erofs.zst'], 'no temporary file is left');
  const before = (await stat(path)).mtimeMs;
  t.is(await unpackedRootDisk(dir, stored, plain), path);
  t.is((await stat(path)).mtimeMs, before, 'not unpacked again');
});

test('a truncated plain disk is replaced', async (t) => {
  const { dir, stored, plain } = await fixture(t);
  await truncate(join(dir, plain.name), 4096);
  const path = await unpackedRootDisk(dir, stored, plain);
  t.is(await sha256File(path), plain.sha256);
});

test('a stored file that does not unpack to the manifest sha256 is refused and leaves no plain file', async (t) => {
  const { dir, stored, plain } = await fixture(t);
  await rm(join(dir, plain.name));
  const error = await t.throwsAsync(unpackedRootDisk(dir, stored, { ...plain, sha256: '0'.repeat(64) }));
  t.regex(error?.message ?? '', /root\.erofs\.zst unpacks to sha256 [0-9a-f]{64}, the manifest says 0{64}.*tsd image build --rebuild/);
  t.false(existsSync(join(dir, plain.name)));
  t.deepEqual(await readdir(dir), ['root.erofs.zst']);
});
