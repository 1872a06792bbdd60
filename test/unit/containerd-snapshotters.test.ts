/**
 * One suite for the Snapshotter interface, run against every implementation (overlayfs and
 * native) on temporary directories: kinds, parents, errors, labels, usage, mount descriptions,
 * records after reopening, cleanup. Nothing is mounted: snapshotters only describe mounts.
 */
import test from 'ava';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import { NativeSnapshotter } from '../../guest/containerd/snapshots/native/native-snapshotter.js';
import { OverlaySnapshotter } from '../../guest/containerd/snapshots/overlay/overlay-snapshotter.js';
import type { Mount, Snapshotter } from '../../guest/containerd/snapshots/snapshotter.js';

const IMPLEMENTATIONS: Record<string, (root: string) => Promise<Snapshotter>> = {
  overlayfs: (root) => OverlaySnapshotter.open(root),
  native: (root) => NativeSnapshotter.open(root),
};

/** The directory a snapshot's first mount writes to (upperdir or bind source). */
function writableDir(mounts: Mount[]): string {
  const [mount] = mounts as [Mount];
  const upper = mount.options.find((o) => o.startsWith('upperdir='));
  return upper ? upper.slice('upperdir='.length) : mount.source;
}

for (const [name, open] of Object.entries(IMPLEMENTATIONS)) {
  const withRoot = async (run: (root: string) => Promise<void>): Promise<void> => {
    const root = await mkdtemp(join(tmpdir(), `tsdtest-snap-${name}-`));
    try {
      await run(root);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  };

  test(`${name}: prepare, commit, chain, view, remove in order`, (t) =>
    withRoot(async (root) => {
      const s = await open(root);
      const base = await s.prepare('a', undefined, { k: 'v' });
      t.deepEqual(base.map((m) => [m.type, m.options.at(-2), m.options.at(-1)]), [['bind', 'rw', 'rbind']]);
      await writeFile(join(writableDir(base), 'f'), 'x');
      await s.commit('c1', 'a', { extra: '1' });
      t.like(await s.stat('c1'), { name: 'c1', kind: 'committed', labels: { k: 'v', extra: '1' } });
      await t.throwsAsync(s.stat('a'), { instanceOf: TsdError, message: /snapshot a does not exist/ });

      const top = await s.prepare('b', 'c1', {});
      t.is((await s.stat('b')).parent, 'c1');
      if (name === 'overlayfs') {
        t.is(top[0]?.type, 'overlay');
        t.regex(top[0]?.options.join(',') ?? '', /^workdir=.+,upperdir=.+,lowerdir=.+\/fs$/);
      } else {
        t.deepEqual(await readdir(writableDir(top)), ['f']);
      }
      const view = await s.view('v', 'c1', {});
      t.true(view[0]?.options.includes('ro'));
      t.deepEqual(await s.mounts('v'), view);

      await t.throwsAsync(s.remove('c1'), { message: /cannot remove snapshot c1: it is the parent of/ });
      await s.remove('v');
      await s.remove('b');
      await s.remove('c1');
      t.deepEqual(await s.list(), []);
    }));

  test(`${name}: errors name the problem and use containerd's kinds`, (t) =>
    withRoot(async (root) => {
      const s = await open(root);
      await s.prepare('a', undefined, {});
      const code = async (p: Promise<unknown>): Promise<string> => ((await t.throwsAsync(p)) as TsdError).code;
      t.is(await code(s.prepare('a', undefined, {})), 'already-exists');
      t.is(await code(s.prepare('b', 'missing', {})), 'not-found');
      t.is(await code(s.prepare('b', 'a', {})), 'invalid-argument');
      t.is(await code(s.commit('x', 'missing', {})), 'not-found');
      await s.commit('c', 'a', {});
      await s.view('v', 'c', {});
      t.is(await code(s.commit('y', 'v', {})), 'conflict');
      await s.prepare('d', 'c', {});
      t.is(await code(s.commit('c', 'd', {})), 'already-exists');
      t.is(await code(s.update('c', { a: 'b' }, ['kind'])), 'invalid-argument');
      t.is(await code(s.prepare('', undefined, {})), 'invalid-argument');
    }));

  test(`${name}: labels, usage, records after reopening, cleanup of unowned directories`, (t) =>
    withRoot(async (root) => {
      const s = await open(root);
      const mounts = await s.prepare('a', undefined, { one: '1', two: '2' });
      await writeFile(join(writableDir(mounts), 'data'), Buffer.alloc(10_000));
      t.deepEqual((await s.update('a', { two: '', three: '3' }, ['labels.two', 'labels.three'])).labels, { one: '1', three: '3' });
      const usage = await s.usage('a');
      t.is(usage.inodes, 2);
      t.true(usage.size >= 10_000);
      await s.commit('c', 'a', {});
      t.deepEqual(await s.usage('c'), usage);

      await mkdir(join(root, 'snapshots', '999', 'fs'), { recursive: true });
      const reopened = await open(root);
      t.like(await reopened.stat('c'), { kind: 'committed', labels: { one: '1', three: '3' } });
      await reopened.cleanup();
      t.deepEqual((await readdir(join(root, 'snapshots'))).sort(), ['1']);
    }));
}
