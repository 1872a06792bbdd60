import test from 'ava';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guestArtifacts, hashArtifacts } from '../../src/image/artifacts.js';
import type { GuestArch } from '../../src/image/guest-image.js';

/** A 64-bit little-endian ELF header with the given e_machine: all the builder reads of the helper. */
function elfHeader(machine: number): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2;
  header[5] = 1;
  header.writeUInt16LE(machine, 18);
  return header;
}

async function fixture(t: import('ava').ExecutionContext, arch: GuestArch, machine: number): Promise<{ bundles: string; native: string }> {
  const root = await mkdtemp(join(tmpdir(), 'tsd-image-artifacts-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const bundles = join(root, 'guest');
  const native = join(root, 'native');
  await mkdir(join(bundles, 'containerd-proto', 'services'), { recursive: true });
  await writeFile(join(bundles, 'containerd-proto', 'services', 'version.proto'), 'syntax = "proto3";\n');
  await mkdir(join(native, arch), { recursive: true });
  await writeFile(join(native, arch, 'tsd-runc-helper'), elfHeader(machine), { mode: 0o755 });
  await writeFile(join(native, arch, 'tsd-runc'), elfHeader(machine), { mode: 0o755 });
  await writeFile(join(native, arch, 'containerd-shim-tsd-v2'), elfHeader(machine), { mode: 0o755 });
  return { bundles, native };
}

test('the artifacts go where runc.mjs and containerd.mjs look for them beside /opt/tsd', (t) => {
  const paths = guestArtifacts('aarch64', '/b', '/n').map(({ source, guestPath, kind }) => ({ source, guestPath, kind }));
  t.deepEqual(paths, [
    { source: '/n/aarch64/tsd-runc-helper', guestPath: '/opt/tsd/native/aarch64/tsd-runc-helper', kind: 'file' },
    { source: '/b/containerd-proto', guestPath: '/opt/tsd/containerd-proto', kind: 'directory' },
    { source: '/n/aarch64/tsd-runc', guestPath: '/opt/tsd/bin/tsd-runc', kind: 'file' },
    { source: '/n/aarch64/containerd-shim-tsd-v2', guestPath: '/opt/tsd/bin/containerd-shim-tsd-v2', kind: 'file' },
  ]);
});

test('hashes change with the contents, so a new helper or proto rebuilds the image', async (t) => {
  const { bundles, native } = await fixture(t, 'x86_64', 62);
  const artifacts = guestArtifacts('x86_64', bundles, native);
  const before = await hashArtifacts('x86_64', artifacts);
  t.deepEqual(await hashArtifacts('x86_64', artifacts), before);
  await writeFile(join(bundles, 'containerd-proto', 'services', 'version.proto'), 'syntax = "proto3";\npackage x;\n');
  const after = await hashArtifacts('x86_64', artifacts);
  t.is(after[0]!.sha256, before[0]!.sha256);
  t.not(after[1]!.sha256, before[1]!.sha256);
});

test('a missing artifact names the path and says to run npm run build', async (t) => {
  const { bundles, native } = await fixture(t, 'x86_64', 62);
  await rm(join(native, 'x86_64', 'tsd-runc-helper'));
  const error = await t.throwsAsync(hashArtifacts('x86_64', guestArtifacts('x86_64', bundles, native)));
  t.is((error as { code?: string }).code, 'not-found');
  t.regex(error!.message, /x86_64\/tsd-runc-helper \(runc-helper\) does not exist: run `npm run build`/);

  await rm(join(bundles, 'containerd-proto'), { recursive: true });
  await writeFile(join(native, 'x86_64', 'tsd-runc-helper'), elfHeader(62));
  await t.throwsAsync(hashArtifacts('x86_64', guestArtifacts('x86_64', bundles, native)), { message: /containerd-proto \(containerd-proto\) does not exist/ });
});

test('a helper built for the other architecture is refused', async (t) => {
  const { bundles, native } = await fixture(t, 'aarch64', 62);
  await t.throwsAsync(hashArtifacts('aarch64', guestArtifacts('aarch64', bundles, native)), { message: /not a 64-bit little-endian aarch64 ELF/ });
});
