import test from 'ava';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { TsdError } from '../../guest/api/errors.js';
import { applyLayer, type ApplyMode } from '../../guest/containerd/diff/apply-layer.js';
import type { ZstdImplementation } from '../../guest/containerd/diff/compression.js';
import { lgetxattr } from '../../guest/containerd/diff/libc.js';
import { buildTar, gzip, zstd, type TestEntry } from '../helpers/tar-builder.js';

const run = promisify(execFile);
const MTIME = new Date('2021-05-06T07:08:09Z');

async function scratch(t: import('ava').ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-layer-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function apply(tar: Buffer, target: string, mode: ApplyMode = 'overlay', zstdImpl: ZstdImplementation = 'auto') {
  await mkdir(target, { recursive: true });
  return await applyLayer(Readable.from([tar]), target, { mode, zstd: zstdImpl });
}

const everyKind: TestEntry[] = [
  { name: 'etc/', type: 'directory', mode: 0o755, mtime: MTIME },
  { name: 'etc/app.conf', content: 'key=value\n', mode: 0o640, uid: 1000, gid: 2000, mtime: MTIME },
  { name: 'usr/bin/tool', content: '#!/bin/sh\n', mode: 0o4755, uid: 0, gid: 0 },
  { name: 'etc/link', type: 'symlink', linkname: 'app.conf', uid: 1000, gid: 2000 },
  { name: 'etc/hard', type: 'link', linkname: 'etc/app.conf' },
  { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
  { name: 'dev/loop9', type: 'block-device', devmajor: 7, devminor: 9, mode: 0o660 },
  { name: 'run/fifo', type: 'fifo', mode: 0o600 },
  { name: 'data/x', content: 'x', pax: { 'SCHILY.xattr.trusted.tsd-test': 'hello', 'SCHILY.xattr.user.tsd-test': 'world' } },
];

const variants = [
  ['none', (b: Buffer) => b, 'auto'],
  ['gzip', gzip, 'auto'],
  ['zstd', zstd, 'binary'],
  ['zstd', zstd, 'js'],
] as const;
for (const [compression, encode, zstdImpl] of variants) {
  test(`applies every entry kind (${compression}${compression === 'zstd' ? `, ${zstdImpl}` : ''}) and returns the diff ID of the uncompressed tar`, async (t) => {
    const target = join(await scratch(t), 'upper');
    const tar = await buildTar(everyKind);
    const result = await apply(encode(tar), target, 'overlay', zstdImpl);
    t.is(result.compression, compression);
    t.is(result.diffId, `sha256:${createHash('sha256').update(tar).digest('hex')}`);
    t.is(result.size, tar.length);

    const conf = await lstat(join(target, 'etc/app.conf'));
    t.is(await readFile(join(target, 'etc/app.conf'), 'utf8'), 'key=value\n');
    t.is(conf.mode & 0o7777, 0o640);
    t.is(conf.uid, 1000);
    t.is(conf.gid, 2000);
    t.is(conf.mtime.getTime(), MTIME.getTime());
    t.is(conf.nlink, 2, 'hard link shares the inode');
    t.is((await lstat(join(target, 'etc/hard'))).ino, conf.ino);
    t.is((await lstat(join(target, 'usr/bin/tool'))).mode & 0o7777, 0o4755, 'setuid survives chown');
    const link = await lstat(join(target, 'etc/link'));
    t.true(link.isSymbolicLink());
    t.is(await readlink(join(target, 'etc/link')), 'app.conf');
    t.is(link.uid, 1000, 'lchown on the link itself');
    const nul = await lstat(join(target, 'dev/null'));
    t.true(nul.isCharacterDevice());
    t.is(nul.rdev, (1 << 8) | 3);
    t.is(nul.mode & 0o777, 0o666);
    const loop = await lstat(join(target, 'dev/loop9'));
    t.true(loop.isBlockDevice());
    t.is(loop.rdev, (7 << 8) | 9);
    t.true((await lstat(join(target, 'run/fifo'))).isFIFO());
    t.deepEqual(await lgetxattr(join(target, 'data/x'), 'trusted.tsd-test'), Buffer.from('hello'));
    t.deepEqual(await lgetxattr(join(target, 'data/x'), 'user.tsd-test'), Buffer.from('world'));
    t.is((await lstat(join(target, 'etc'))).mtime.getTime(), MTIME.getTime(), 'directory times are set after their children');
  });
}

const lowerTree = async (lower: string): Promise<void> => {
  await mkdir(join(lower, 'etc'), { recursive: true });
  await mkdir(join(lower, 'opq/sub'), { recursive: true });
  await writeFile(join(lower, 'etc/keep'), 'keep');
  await writeFile(join(lower, 'etc/gone'), 'gone');
  await mkdir(join(lower, 'olddir/deep'), { recursive: true });
  await writeFile(join(lower, 'olddir/deep/file'), 'x');
  await writeFile(join(lower, 'opq/a'), 'a');
  await writeFile(join(lower, 'opq/sub/b'), 'b');
};

const deletingLayer: TestEntry[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/.wh.gone', content: '' },
  { name: '.wh.olddir', content: '' },
  { name: 'opq/', type: 'directory' },
  { name: 'opq/new', content: 'new' },
  { name: 'opq/.wh..wh..opq', content: '' },
  { name: '.wh..wh.plnk/', type: 'directory' },
];

test('overlay flavour: whiteouts become 0:0 char devices, opaque dirs get the xattr, and overlayfs hides the lower entries', async (t) => {
  const dir = await scratch(t);
  const [lower, upper, merged] = ['lower', 'upper', 'merged'].map((name) => join(dir, name)) as [string, string, string];
  await lowerTree(lower);
  await apply(await buildTar(deletingLayer), upper, 'overlay');
  const whiteout = await lstat(join(upper, 'etc/gone'));
  t.true(whiteout.isCharacterDevice());
  t.is(whiteout.rdev, 0);
  t.true((await lstat(join(upper, 'olddir'))).isCharacterDevice());
  t.deepEqual(await lgetxattr(join(upper, 'opq'), 'trusted.overlay.opaque'), Buffer.from('y'));
  t.false((await readdir(upper)).some((name) => name.startsWith('.wh.')), 'no .wh. names are written');

  await mkdir(merged);
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${upper}:${lower}`, merged]);
  try {
    t.deepEqual((await readdir(join(merged, 'etc'))).sort(), ['keep']);
    t.deepEqual(await readdir(join(merged, 'opq')), ['new']);
    t.false((await readdir(merged)).includes('olddir'));
    t.is(await readFile(join(merged, 'opq/new'), 'utf8'), 'new');
  } finally {
    await run('umount', [merged]);
  }
});

test('native flavour: whiteouts and opaque markers delete the lower entries in place', async (t) => {
  const dir = await scratch(t);
  const target = join(dir, 'copy');
  await lowerTree(target);
  await apply(await buildTar(deletingLayer), target, 'native');
  t.deepEqual((await readdir(join(target, 'etc'))).sort(), ['keep']);
  t.deepEqual(await readdir(join(target, 'opq')), ['new']);
  t.false((await readdir(target)).includes('olddir'));
  t.is(await lgetxattr(join(target, 'opq'), 'trusted.overlay.opaque'), undefined);
});

test('a later entry replaces an earlier one of another kind, a directory keeps its contents', async (t) => {
  const target = join(await scratch(t), 't');
  await mkdir(join(target, 'd'), { recursive: true });
  await writeFile(join(target, 'd/lower-file'), 'l');
  await writeFile(join(target, 'was-file'), 'f');
  await apply(await buildTar([
    { name: 'd', type: 'directory', mode: 0o700 },
    { name: 'was-file', type: 'symlink', linkname: '/nowhere' },
  ]), target, 'native');
  t.deepEqual(await readdir(join(target, 'd')), ['lower-file']);
  t.is((await lstat(join(target, 'd'))).mode & 0o777, 0o700);
  t.is(await readlink(join(target, 'was-file')), '/nowhere');
});

test('path traversal: ../ names and hard links out of the target are refused clearly', async (t) => {
  for (const entries of [
    [{ name: '../escape', content: 'x' }],
    [{ name: 'a/../../escape', content: 'x' }],
    [{ name: 'ok', content: 'x' }, { name: 'h', type: 'link' as const, linkname: '../../../etc/passwd' }],
  ]) {
    const dir = await scratch(t);
    const target = join(dir, 'target');
    const error = await t.throwsAsync(apply(await buildTar(entries), target), { instanceOf: TsdError });
    t.is(error?.code, 'invalid-argument');
    t.regex(error?.message ?? '', /escapes the target directory \(path traversal\)/);
    t.deepEqual((await readdir(dir)).sort(), ['target'], 'nothing written beside the target');
  }
});

test('symlinks never carry a write out of the target; absolute names stay inside it', async (t) => {
  const dir = await scratch(t);
  const target = join(dir, 'target');
  const outside = join(dir, 'outside');
  await mkdir(outside);
  await apply(await buildTar([
    { name: 'to-root', type: 'symlink', linkname: '/' },
    { name: 'to-root/via-absolute', content: 'a' },
    { name: 'up', type: 'symlink', linkname: '../../../../../..' },
    { name: `up${outside}/via-dotdot`, content: 'b' },
    { name: 'to-outside', type: 'symlink', linkname: outside },
    { name: 'to-outside/via-outside-link', content: 'c' },
    { name: '/abs/file', content: 'd' },
  ]), target);
  t.deepEqual(await readdir(outside), [], 'nothing reached the directory outside');
  t.is(await readFile(join(target, 'via-absolute'), 'utf8'), 'a');
  t.is(await readFile(join(target, outside, 'via-dotdot'), 'utf8'), 'b');
  t.is(await readFile(join(target, outside, 'via-outside-link'), 'utf8'), 'c');
  t.is(await readFile(join(target, 'abs/file'), 'utf8'), 'd');
});

test('truncated, corrupt and non-tar layers are clear invalid-argument errors', async (t) => {
  const tar = await buildTar([{ name: 'big', content: randomBytes(100_000) }]);
  const cases: Array<[Buffer, RegExp]> = [
    [tar.subarray(0, 50_000), /truncated/],
    [gzip(tar).subarray(0, 2000), /truncated|not valid gzip/],
    [Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(100, 1)]), /not valid gzip/],
    [Buffer.concat([zstd(tar).subarray(0, 100)]), /not valid zstd|truncated/],
    [Buffer.alloc(1024, 0x41), /checksum mismatch/],
  ];
  for (const [data, message] of cases) {
    const target = join(await scratch(t), 't');
    const error = await t.throwsAsync(apply(data, target), { instanceOf: TsdError });
    t.is(error?.code, 'invalid-argument', String(message));
    t.regex(error?.message ?? '', message);
  }
  for (const zstdImpl of ['binary', 'js'] as const) {
    const target = join(await scratch(t), 't');
    const error = await t.throwsAsync(apply(zstd(tar).subarray(0, 5000), target, 'overlay', zstdImpl), { instanceOf: TsdError });
    t.is(error?.code, 'invalid-argument', zstdImpl);
    t.regex(error?.message ?? '', /not valid zstd|truncated/);
  }
  const xz = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]);
  const target = join(await scratch(t), 't');
  t.is((await t.throwsAsync(apply(xz, target), { instanceOf: TsdError }))?.code, 'unsupported');
});

test('the busybox fixture layer applies and its applets are symlinks to busybox', async (t) => {
  const { busyboxLayer } = await import('../fixtures/busybox-rootfs.js');
  const { createReadStream } = await import('node:fs');
  const target = join(await scratch(t), 'rootfs');
  await mkdir(target);
  const result = await applyLayer(createReadStream(await busyboxLayer('amd64')), target, { mode: 'overlay' });
  t.is(result.compression, 'gzip');
  t.is(await readlink(join(target, 'bin/sh')), 'busybox');
  const { stdout } = await run(join(target, 'bin/busybox'), ['echo', 'applied']);
  t.is(stdout, 'applied\n');
  await cp(join(target, 'etc/passwd'), join(target, 'etc/passwd.copy'));
  t.regex(await readFile(join(target, 'etc/passwd.copy'), 'utf8'), /^root:x:0:0/);
});
