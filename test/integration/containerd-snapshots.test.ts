/**
 * Snapshots through the real ctr, and the returned mount descriptions mounted for real to check
 * that layers stack (overlay: lower files visible, deletions hidden; native: copies).
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerdDaemon } from '../helpers/containerd-daemon.js';

/** Mounts what `ctr snapshots mounts TARGET KEY` describes, runs `use`, unmounts. */
async function withMounted(daemon: ContainerdDaemon, key: string, use: (dir: string) => void, snapshotter = 'overlayfs'): Promise<string> {
  const target = mkdtempSync(join(tmpdir(), 'tsdtest-ctrd-mnt-'));
  const command = (await daemon.ctrOk(['snapshots', '--snapshotter', snapshotter, 'mounts', target, key])).trim();
  const match = /^mount -t (\S+) (\S+) (\S+) -o (\S+)$/.exec(command);
  if (!match) throw new Error(`unexpected mounts output: ${command}`);
  const [, type, source, , options] = match as unknown as [string, string, string, string, string];
  const bind = type === 'bind';
  execFileSync('mount', bind ? ['--bind', ...(options.split(',').includes('ro') ? ['-o', 'ro'] : []), source, target] : ['-t', type, '-o', options, source, target]);
  try {
    use(target);
  } finally {
    execFileSync('umount', [target]);
    rmSync(target, { recursive: true, force: true });
  }
  return command;
}

test('overlayfs: prepare, write, commit, stack, view; mounts layer for real', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  await daemon.ctrOk(['snapshots', 'prepare', 'base']);
  const baseMount = await withMounted(daemon, 'base', (dir) => {
    writeFileSync(join(dir, 'keep.txt'), 'kept\n');
    writeFileSync(join(dir, 'drop.txt'), 'dropped\n');
  });
  t.regex(baseMount, /^mount -t bind \S+\/fs \S+ -o rw,rbind$/);
  await daemon.ctrOk(['snapshots', 'commit', 'layer-1', 'base']);

  await daemon.ctrOk(['snapshots', 'prepare', 'top', 'layer-1']);
  const topMount = await withMounted(daemon, 'top', (dir) => {
    t.is(readFileSync(join(dir, 'keep.txt'), 'utf8'), 'kept\n');
    unlinkSync(join(dir, 'drop.txt'));
    writeFileSync(join(dir, 'new.txt'), 'new\n');
  });
  t.regex(topMount, /^mount -t overlay overlay \S+ -o workdir=\S+,upperdir=\S+,lowerdir=\S+$/);
  await daemon.ctrOk(['snapshots', 'commit', 'layer-2', 'top']);

  await daemon.ctrOk(['snapshots', 'view', 'look', 'layer-2']);
  const viewMount = await withMounted(daemon, 'look', (dir) => {
    t.is(readFileSync(join(dir, 'keep.txt'), 'utf8'), 'kept\n');
    t.is(readFileSync(join(dir, 'new.txt'), 'utf8'), 'new\n');
    t.false(existsSync(join(dir, 'drop.txt')));
  });
  t.regex(viewMount, /-o lowerdir=\S+:\S+$/);

  const list = await daemon.ctrOk(['snapshots', 'ls']);
  t.regex(list, /layer-1\s+Committed/);
  t.regex(list, /layer-2\s+layer-1\s+Committed/);
  t.regex(list, /look\s+layer-2\s+View/);
  t.regex(await daemon.ctrOk(['snapshots', 'info', 'layer-2']), /"Parent": "layer-1"/);
  t.regex(await daemon.ctrOk(['snapshots', 'usage', 'layer-1']), /layer-1\s+\S+ \S+\s+3/);

  // Records survive kill -9.
  await daemon.kill9();
  await daemon.restart();
  t.regex(await daemon.ctrOk(['snapshots', 'ls']), /layer-2\s+layer-1\s+Committed/);

  await daemon.ctrOk(['snapshots', 'rm', 'look']);
  await daemon.ctrOk(['snapshots', 'rm', 'layer-2']);
  await daemon.ctrOk(['snapshots', 'rm', 'layer-1']);
  t.notRegex(await daemon.ctrOk(['snapshots', 'ls']), /layer/);
});

test('snapshot errors carry containerd status codes and name the keys', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  await daemon.ctrOk(['snapshots', 'prepare', 'a']);
  const missingParent = await daemon.ctr(['snapshots', 'prepare', 'b', 'nope']);
  t.regex(missingParent.stderr, /parent snapshot nope does not exist: not found/);
  const activeParent = await daemon.ctr(['snapshots', 'prepare', 'b', 'a']);
  t.regex(activeParent.stderr, /parent snapshot a is active, not committed: invalid argument/);
  const duplicate = await daemon.ctr(['snapshots', 'prepare', 'a']);
  t.regex(duplicate.stderr, /snapshot a: already exists/);
  await daemon.ctrOk(['snapshots', 'commit', 'c', 'a']);
  await daemon.ctrOk(['snapshots', 'prepare', 'child', 'c']);
  const withChild = await daemon.ctr(['snapshots', 'rm', 'c']);
  t.regex(withChild.stderr, /cannot remove snapshot c: it is the parent of child: failed precondition/);
  const unknown = await daemon.ctr(['snapshots', 'info', 'ghost']);
  t.regex(unknown.stderr, /snapshot ghost does not exist: not found/);
  const badSnapshotter = await daemon.ctr(['snapshots', '--snapshotter', 'zfs', 'ls']);
  t.regex(badSnapshotter.stderr, /snapshotter not loaded: zfs/);
  // Keys are per namespace.
  t.notRegex(await daemon.ctrOk(['snapshots', 'ls'], { namespace: 'elsewhere' }), /child/);
  const crossParent = await daemon.ctr(['snapshots', 'prepare', 'x', 'c'], { namespace: 'elsewhere' });
  t.regex(crossParent.stderr, /parent snapshot c does not exist: not found/);
});

test('native snapshotter copies its parent and describes bind mounts', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  const native = ['snapshots', '--snapshotter', 'native'];
  await daemon.ctrOk([...native, 'prepare', 'n-base']);
  await withMounted(daemon, 'n-base', (dir) => writeFileSync(join(dir, 'file'), 'one\n'), 'native');
  await daemon.ctrOk([...native, 'commit', 'n-1', 'n-base']);
  await daemon.ctrOk([...native, 'prepare', 'n-top', 'n-1']);
  const mount = await withMounted(daemon, 'n-top', (dir) => {
    t.is(readFileSync(join(dir, 'file'), 'utf8'), 'one\n');
    writeFileSync(join(dir, 'file'), 'changed\n');
  }, 'native');
  t.regex(mount, /^mount -t bind \S+ \S+ -o rw,rbind$/);
  await daemon.ctrOk([...native, 'view', 'n-view', 'n-1']);
  await withMounted(daemon, 'n-view', (dir) => t.is(readFileSync(join(dir, 'file'), 'utf8'), 'one\n'), 'native');
});
