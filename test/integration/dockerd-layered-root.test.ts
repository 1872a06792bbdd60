// LayeredRoot (reading a container's rootfs from its layer directories) against the kernel's own
// answer: the same layers mounted as an overlay must show the same files. Whiteouts, an opaque
// directory, symlinks (relative, absolute, and one climbing out of the root), and directories
// made in the upper layer as overlayfs would show them. Root (mknod, trusted xattrs, mount).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lsetxattr, mknod, S_IFCHR } from '../../guest/containerd/diff/libc.js';
import { LayeredRoot, layerStack, NotExact } from '../../guest/dockerd/containers/service/layered-root.js';

interface Layers {
  dir: string;
  lower1: string;
  lower2: string;
  upper: string;
  work: string;
  options: string[];
}

async function makeLayers(t: { teardown(fn: () => Promise<void>): void }): Promise<Layers> {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-layered-'));
  t.teardown(async () => rm(dir, { recursive: true, force: true }));
  const [lower1, lower2, upper, work] = ['l1', 'l2', 'upper', 'work'].map((name) => join(dir, name)) as [string, string, string, string];
  for (const d of [lower1, lower2, upper, work]) await mkdir(d);
  // Lowest layer.
  await mkdir(join(lower1, 'etc'));
  await writeFile(join(lower1, 'etc/passwd'), 'a:x:1:1::/:/bin/sh\n');
  await writeFile(join(lower1, 'etc/group'), 'g:x:1:\n');
  await mkdir(join(lower1, 'data'));
  await writeFile(join(lower1, 'data/passwd'), 'ghost:x:77:77::/:/bin/sh\n');
  await writeFile(join(lower1, 'data/kept'), 'hidden by the opaque dir\n');
  await symlink('/data/passwd', join(lower1, 'etc/plink'));
  await symlink('../../../../../etc/group', join(lower1, 'etc/climb'));
  await mkdir(join(lower1, 'd1'), { mode: 0o750 });
  await writeFile(join(lower1, 'd1/f'), 'f\n');
  await mkdir(join(lower1, 'gone'));
  // Middle layer: passwd overridden, group deleted, /data opaque, /gone deleted.
  await mkdir(join(lower2, 'etc'));
  await writeFile(join(lower2, 'etc/passwd'), 'b:x:2:2::/:/bin/sh\n');
  await mknod(join(lower2, 'etc/group'), S_IFCHR | 0o600);
  await mkdir(join(lower2, 'data'));
  await lsetxattr(join(lower2, 'data'), 'trusted.overlay.opaque', Buffer.from('y'));
  await writeFile(join(lower2, 'data/other'), 'other\n');
  await mknod(join(lower2, 'gone'), S_IFCHR | 0o600);
  return { dir, lower1, lower2, upper, work, options: [`workdir=${work}`, `upperdir=${upper}`, `lowerdir=${lower2}:${lower1}`] };
}

async function withOverlay<T>(layers: Layers, work: (target: string) => Promise<T>): Promise<T> {
  const target = join(layers.dir, 'merged');
  await mkdir(target, { recursive: true });
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', layers.options.join(','), target]);
  try {
    return await work(target);
  } finally {
    execFileSync('umount', [target]);
  }
}

const PATHS = ['/etc/passwd', '/etc/group', '/etc/plink', '/data/passwd', '/data/other', '/data/kept', '/etc/climb', '/d1/f', '/gone', '/missing/file'];

test.serial('files read from the layers are the ones the mounted overlay shows', async (t) => {
  const layers = await makeLayers(t);
  const stack = layerStack([{ type: 'overlay', source: 'overlay', options: layers.options }]);
  t.truthy(stack);
  const root = await LayeredRoot.open(stack!);
  const fromLayers = await Promise.all(PATHS.map(async (path) => root.readText(path)));
  const fromMount = await withOverlay(layers, async (target) => Promise.all(PATHS.map(async (path) => {
    // The kernel follows links from the host's root: read them the way the container would.
    const resolved = path === '/etc/plink' ? '/data/passwd' : path === '/etc/climb' ? '/etc/group' : path;
    return await readFile(join(target, resolved), 'utf8').catch(() => '');
  })));
  t.deepEqual(fromLayers, fromMount);
  t.is(await root.readText('/etc/passwd'), 'b:x:2:2::/:/bin/sh\n');
  t.is(await root.readText('/etc/group'), '');
  t.is(await root.readText('/data/kept'), '');
  t.true((await root.stat('/data'))?.isDirectory());
  t.is(await root.stat('/gone'), undefined);
});

test.serial('directories made in the upper layer: new ones root 0755, lower ones copied up with their owner and mode', async (t) => {
  const layers = await makeLayers(t);
  const root = await LayeredRoot.open(layerStack([{ type: 'overlay', source: 'overlay', options: layers.options }])!);
  execFileSync('chown', ['123:456', join(layers.lower1, 'd1')]);
  await root.makeDirectories('/d1/new/sub', 0o755, 0, 0);
  await root.makeDirectories('/gone/again', 0o755, 0, 0);
  await withOverlay(layers, async (target) => {
    const d1 = await stat(join(target, 'd1'));
    t.is(d1.mode & 0o7777, 0o750);
    t.deepEqual([d1.uid, d1.gid], [123, 456]);
    const sub = await stat(join(target, 'd1/new/sub'));
    t.true(sub.isDirectory());
    t.is(sub.mode & 0o7777, 0o755);
    t.deepEqual([sub.uid, sub.gid], [0, 0]);
    t.is(await readFile(join(target, 'd1/f'), 'utf8'), 'f\n');
    t.true((await stat(join(target, 'gone/again'))).isDirectory());
  });
  // Making a directory over the upper layer's own whiteout is left to a mount (overlayfs makes it opaque).
  await mknod(join(layers.upper, 'white'), S_IFCHR | 0o600);
  await t.throwsAsync(root.makeDirectories('/white/x', 0o755, 0, 0), { instanceOf: NotExact });
  await t.throwsAsync(root.makeDirectories('/etc/passwd', 0o755, 0, 0), { message: 'Cannot mkdir: /etc/passwd is not a directory' });
});

test('layerStack: a bind is one layer; mounts it does not model are left to a real mount', (t) => {
  t.deepEqual(layerStack([{ type: 'bind', source: '/s', options: ['rw', 'rbind'] }]), { layers: ['/s'], upper: '/s', overlay: false });
  t.deepEqual(layerStack([{ type: 'overlay', source: 'overlay', options: ['lowerdir=/a:/b'] }]), { layers: ['/a', '/b'], upper: undefined, overlay: true });
  t.is(layerStack([{ type: 'overlay', source: 'overlay', options: ['lowerdir=/a', 'upperdir=/u', 'workdir=/w', 'redirect_dir=on'] }]), undefined);
  t.is(layerStack([{ type: 'erofs', source: '/img', options: [] }]), undefined);
  t.is(layerStack([]), undefined);
});
