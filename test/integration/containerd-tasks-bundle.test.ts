/**
 * Task bundles on a real filesystem: the layout containerd 1.6 uses, and removal that never
 * reaches through a rootfs left mounted (by a shim that died) into the snapshot behind it.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleRoots, createBundle, deleteBundle, listBundles } from '../../guest/containerd/runtime/bundle.js';
import { isMountPoint } from '../../guest/containerd/runtime/mounts.js';

function tempRoots(t: { teardown(fn: () => void): void }): { dir: string; roots: ReturnType<typeof bundleRoots> } {
  const dir = mkdtempSync(join(tmpdir(), 'tsdtest-bundle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, roots: bundleRoots(join(dir, 'root'), join(dir, 'state')) };
}

test('a bundle has config.json, an empty rootfs and a work link; a second one for the id is refused', async (t) => {
  const { dir, roots } = tempRoots(t);
  const bundle = await createBundle(roots, 'default', 'b1', Buffer.from('{"ociVersion":"1.0.2"}'));
  t.is(bundle.path, join(dir, 'state', 'io.containerd.runtime.v2.task', 'default', 'b1'));
  t.is(readFileSync(join(bundle.path, 'config.json'), 'utf8'), '{"ociVersion":"1.0.2"}');
  t.is(readlinkSync(join(bundle.path, 'work')), join(dir, 'root', 'io.containerd.runtime.v2.task', 'default', 'b1'));
  t.true(existsSync(join(bundle.path, 'rootfs')));
  t.deepEqual((await listBundles(roots)).map((b) => `${b.namespace}/${b.id}`), ['default/b1']);
  await t.throwsAsync(createBundle(roots, 'default', 'b1', Buffer.from('{}')), { message: /already exists|bundle/ });
  await t.throwsAsync(createBundle(roots, 'default', '../escape', Buffer.from('{}')), { message: /identifier/ });
});

test('removing a bundle unmounts a rootfs left mounted and never deletes through it', async (t) => {
  const { dir, roots } = tempRoots(t);
  const snapshot = join(dir, 'snapshot');
  mkdirSync(snapshot);
  writeFileSync(join(snapshot, 'precious'), 'the container’s files');
  const bundle = await createBundle(roots, 'default', 'b2', Buffer.from('{}'));
  const rootfs = join(bundle.path, 'rootfs');
  execFileSync('mount', ['--bind', snapshot, rootfs]);
  t.teardown(() => void (existsSync(rootfs) && execFileSync('umount', ['-l', rootfs], { stdio: 'ignore' })));
  t.true(await isMountPoint(rootfs));

  await deleteBundle(bundle);
  t.false(existsSync(bundle.path));
  t.false(existsSync(bundle.workPath));
  t.is(readFileSync(join(snapshot, 'precious'), 'utf8'), 'the container’s files');
  t.deepEqual(await listBundles(roots), []);
});
