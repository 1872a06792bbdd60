/**
 * bin/tsd-runc runs dist/guest/runc.cjs (guest/runc/boot.ts), which keeps a V8 code cache of the
 * runtime in $NODE_COMPILE_CACHE: written at the first invocation's exit, one file per kind of
 * invocation, reused after; a damaged one is rejected by V8 and replaced; a directory that others
 * can write is never used (a planted cache would be code run as root).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TSD_RUNC = resolve('bin/tsd-runc');

async function tsdRunc(cacheDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSD_RUNC, args, { env: { ...process.env, NODE_COMPILE_CACHE: cacheDir } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const cacheFiles = (dir: string) => readdirSync(dir).filter((name) => /^tsd-runc-[0-9a-f]{16}-v[\d.]+-\w+-\w+\.v8$/.test(name)).sort();

function tempCacheDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsdtest-codecache-'));
  chmodSync(dir, 0o700);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the first invocation writes the cache, the next reuses it; each kind has its own file', async (t) => {
  const dir = tempCacheDir(t);
  const first = await tsdRunc(dir, ['--version']);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /^tsd-runc version \d+\.\d+\.\d+\nspec: 1\.2\.0\nnode: v\d+/);
  const files = cacheFiles(dir);
  t.deepEqual(files.map((f) => f.replace(/^.*-/, '')), ['other.v8']);
  const written = statSync(join(dir, files[0]!));
  t.is(written.mode & 0o777, 0o600);
  t.true(written.size > 0);

  const again = await tsdRunc(dir, ['--version']);
  t.is(again.stdout, first.stdout);
  t.is(statSync(join(dir, files[0]!)).mtimeMs, written.mtimeMs, 'an accepted cache is not rewritten');

  // create with a missing bundle fails as before, and its kind gets its own file.
  const create = await tsdRunc(dir, ['--root', join(dir, 'root'), 'create', '-b', join(dir, 'no-bundle'), 'tsdtest-codecache']);
  t.is(create.code, 1);
  t.regex(create.stderr, /no-bundle/);
  t.deepEqual(cacheFiles(dir).map((f) => f.replace(/^.*-/, '')), ['create.v8', 'other.v8']);
});

test('a damaged cache (header) is rejected and replaced; the runtime still answers', async (t) => {
  const dir = tempCacheDir(t);
  t.is((await tsdRunc(dir, ['--version'])).code, 0);
  const file = join(dir, cacheFiles(dir)[0]!);
  const good = readFileSync(file);
  const damaged = Buffer.from(good);
  damaged.fill(0x5a, 16, Math.min(damaged.length, 4096));
  writeFileSync(file, damaged);
  const result = await tsdRunc(dir, ['--version']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^tsd-runc version /);
  t.false(readFileSync(file).equals(damaged), 'the rejected cache was replaced');
});

test('a cache directory that others can write is not used', async (t) => {
  const dir = tempCacheDir(t);
  chmodSync(dir, 0o777);
  const result = await tsdRunc(dir, ['--version']);
  t.is(result.code, 0, result.stderr);
  t.deepEqual(cacheFiles(dir), []);
});
