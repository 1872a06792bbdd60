/**
 * The build-time code cache of sshd.cjs (guest/lib/prebuilt-cache-boot.ts, src/image/code-cache.ts):
 * made with the seeds fixed it is the same bytes every time (the image digest depends on it), V8
 * accepts it without those flags, a bad one is rejected and the program still runs; the init runs
 * sshd.cjs when the image has it. Runs dist/guest/sshd.cjs under the host's Node (`npm run build` first).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sshdSpec } from '../../guest/init/services.js';
import { addCodeCaches, canRunGuestNode } from '../../src/image/code-cache.js';
import type { ImageTree } from '../../src/image/tree.js';

const BUNDLE = new URL('../../dist/guest/sshd.cjs', import.meta.url).pathname;

function withCopy(run: (dir: string, bundle: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-code-cache-'));
  try {
    copyFileSync(BUNDLE, join(dir, 'sshd.cjs'));
    run(dir, join(dir, 'sshd.cjs'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function makeCache(bundle: string, out: string): void {
  const made = spawnSync(process.execPath, ['--hash-seed=1', '--random-seed=1', bundle], { env: { PATH: process.env.PATH, TSD_WRITE_CODE_CACHE: out }, encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`making the cache failed: ${made.stderr}`);
}

/** Runs the bundle with no arguments: sshd itself then exits 2 asking for its keys. */
function runBundle(bundle: string): { status: number | null; stderr: string } {
  const ran = spawnSync(process.execPath, [bundle], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
  return { status: ran.status, stderr: ran.stderr };
}

test('the cache made with fixed seeds is the same bytes twice and is accepted by a Node run without them', (t) => {
  t.true(existsSync(BUNDLE), 'dist/guest/sshd.cjs exists (npm run build)');
  withCopy((dir, bundle) => {
    makeCache(bundle, join(dir, 'a.v8'));
    makeCache(bundle, join(dir, 'b.v8'));
    const a = readFileSync(join(dir, 'a.v8'));
    t.true(a.length > 100_000, `the cache holds the eagerly compiled functions (${a.length} B)`);
    t.true(a.equals(readFileSync(join(dir, 'b.v8'))), 'deterministic');
    copyFileSync(join(dir, 'a.v8'), `${bundle}.v8`);
    const ran = runBundle(bundle);
    t.is(ran.status, 2);
    t.regex(ran.stderr, /--host-key and --authorized-keys are required/);
    t.notRegex(ran.stderr, /rejected/);
  });
});

test('the builder\'s cache does not depend on the directory the image is built from', async (t) => {
  const made: Buffer[] = [];
  for (let i = 0; i < 2; i++) {
    const dir = mkdtempSync(join(tmpdir(), `tsd-code-cache-${'x'.repeat(i * 8)}`));
    try {
      copyFileSync(BUNDLE, join(dir, 'sshd.cjs'));
      const added: Array<{ from: string; to: string }> = [];
      const tree = { addHostPath: async (from: string, to: string) => void added.push({ from, to }) } as unknown as ImageTree;
      const paths = await addCodeCaches(tree, { arch: 'x86_64', nodeBinary: process.execPath, bundlesDir: dir, stageDir: dir });
      t.deepEqual(paths, ['/opt/tsd/sshd.cjs.v8']);
      made.push(readFileSync(added[0]!.from));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  t.true(made[0]!.equals(made[1]!), 'the same bytes from two build directories of different path lengths');
});

test('a cache V8 rejects costs a compile: the program still runs', (t) => {
  withCopy((_dir, bundle) => {
    writeFileSync(`${bundle}.v8`, Buffer.alloc(4096, 7));
    const ran = runBundle(bundle);
    t.regex(ran.stderr, /code cache rejected, compiling/);
    t.regex(ran.stderr, /--host-key and --authorized-keys are required/);
    t.is(ran.status, 2);
  });
});

test('the init runs sshd.cjs when the image has it, else sshd.mjs', (t) => {
  const paths = { node: '/usr/bin/node', sshDir: '/run/tsd/ssh', daemonJson: '/etc/docker/daemon.json' };
  withCopy((dir) => t.is(sshdSpec({}, { ...paths, bundleDir: dir }).argv[1], join(dir, 'sshd.cjs')));
  const empty = mkdtempSync(join(tmpdir(), 'tsd-code-cache-'));
  try {
    t.is(sshdSpec({}, { ...paths, bundleDir: empty }).argv[1], join(empty, 'sshd.mjs'));
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('caches are made only where the guest\'s Node runs: x86_64 images on linux/x64', (t) => {
  t.true(canRunGuestNode('x86_64', 'linux', 'x64'));
  t.false(canRunGuestNode('aarch64', 'linux', 'x64'));
  t.false(canRunGuestNode('x86_64', 'darwin', 'x64'));
  t.false(canRunGuestNode('x86_64', 'linux', 'arm64'));
});
