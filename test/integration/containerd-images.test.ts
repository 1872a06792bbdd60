/**
 * Images through the real ctr: `ctr image pull --plain-http` from the fixture registry (ctr
 * fetches into our content store, then unpacks through our snapshots and diff services), images
 * ls/check/tag/label/rm, the unpacked snapshot's files, image events, and kill -9 persistence.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { ContainerdDaemon } from '../helpers/containerd-daemon.js';

let registry: FixtureRegistry;

test.before(async () => {
  registry = await startFixtureRegistry({ nginx: false });
});
test.after.always(async () => {
  await registry?.stop();
});

test('ctr image pull unpacks into overlayfs snapshots; images ls, check, tag, rm; survives kill -9', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  const ref = `${registry.host}/library/busybox:latest`;
  const pulled = await daemon.ctrOk(['images', 'pull', '--plain-http', ref]);
  t.regex(pulled, /unpacking linux\/amd64 sha256:[0-9a-f]{64}/);

  const images = await daemon.ctrOk(['images', 'ls']);
  t.regex(images, new RegExp(`${ref.replace(/[.]/g, '\\.')}\\s+application/vnd\\.docker\\.distribution\\.manifest\\.v2\\+json\\s+${registry.images.busybox.digest}`));
  t.regex(images, /linux\/amd64/);
  t.regex(await daemon.ctrOk(['images', 'check']), /complete \(2\/2\).*true/);

  // The committed snapshot is named by the layer's chain ID and holds busybox.
  const snapshots = await daemon.ctrOk(['snapshots', 'ls']);
  const chainId = /^(sha256:[0-9a-f]{64})\s+Committed/m.exec(snapshots)?.[1];
  t.truthy(chainId, snapshots);
  await daemon.ctrOk(['snapshots', 'view', 'inspect', chainId as string]);
  const target = mkdtempSync(join(tmpdir(), 'tsdtest-ctrd-img-'));
  const command = (await daemon.ctrOk(['snapshots', 'mounts', target, 'inspect'])).trim();
  const source = /^mount -t bind (\S+) /.exec(command)?.[1];
  t.truthy(source, command);
  execFileSync('mount', ['--bind', '-o', 'ro', source as string, target]);
  try {
    t.true(existsSync(join(target, 'bin', 'busybox')) || existsSync(join(target, 'bin', 'sh')));
  } finally {
    execFileSync('umount', [target]);
    rmSync(target, { recursive: true, force: true });
  }
  await daemon.ctrOk(['snapshots', 'rm', 'inspect']);

  await daemon.ctrOk(['images', 'tag', ref, 'local/busybox:copy']);
  await daemon.ctrOk(['images', 'label', 'local/busybox:copy', 'team=tsd']);
  await daemon.kill9();
  await daemon.restart();
  const after = await daemon.ctrOk(['images', 'ls']);
  t.regex(after, /local\/busybox:copy .* team=tsd/);
  t.regex(await daemon.ctrOk(['images', 'ls', '-q', 'labels.team==tsd']), /^local\/busybox:copy\n$/);

  await daemon.ctrOk(['images', 'rm', 'local/busybox:copy']);
  t.notRegex(await daemon.ctrOk(['images', 'ls']), /local\/busybox:copy/);
  const missing = await daemon.ctr(['images', 'label', 'no/such:image', 'a=b']);
  t.regex(missing.stderr, /image "no\/such:image": not found/);
});

test('a multi-arch index pulls the requested platform', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  const ref = `${registry.host}/library/busybox-multi:latest`;
  const pulled = await daemon.ctrOk(['images', 'pull', '--plain-http', '--platform', 'linux/arm64/v8', ref]);
  t.regex(pulled, /unpacking linux\/arm64\/v8/);
  t.regex(await daemon.ctrOk(['images', 'ls']), /busybox-multi:latest\s+application\/vnd\.oci\.image\.index\.v1\+json/);
  t.regex(await daemon.ctrOk(['snapshots', 'ls']), /sha256:[0-9a-f]{64}\s+Committed/);
});

test('ctr events shows /images/create and /snapshot/commit during a pull', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  const events = await daemon.subscribeEvents();
  t.teardown(() => events.stop());
  const ref = `${registry.host}/library/busybox:latest`;
  await daemon.ctrOk(['images', 'pull', '--plain-http', ref]);
  for (let i = 0; i < 50 && !events.text().includes('/images/create'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  t.regex(events.text(), new RegExp(`default /images/create \\{"name":"${ref.replace(/[.]/g, '\\.')}"`));
  t.regex(events.text(), /default \/snapshot\/prepare \{"key":"extract-/);
  t.regex(events.text(), /default \/snapshot\/commit \{"key":"extract-[^"]+","name":"sha256:[0-9a-f]{64}"\}/);
});

test('kill -9 during a pull registers no half image; the next pull completes', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  const ref = `${registry.host}/library/busybox:latest`;
  // Kill the daemon as soon as the first blob write has begun: wherever that lands, the image is
  // registered only after every blob is stored, and the unpack only after that — so there is
  // never a registered image with missing content.
  const pull = daemon.ctr(['images', 'pull', '--plain-http', ref]);
  for (let i = 0; i < 200; i++) {
    const active = await daemon.ctr(['content', 'active']);
    const stored = await daemon.ctr(['content', 'ls', '-q']);
    if (/\S+\s+\d/.test(active.stdout.split('\n').slice(1).join('\n')) || stored.stdout.trim() !== '') break;
  }
  await daemon.kill9();
  const interrupted = await pull;
  await daemon.restart();
  const images = await daemon.ctrOk(['images', 'ls', '-q']);
  if (interrupted.code !== 0 && /busybox/.test(images)) {
    // ctr registers the image (Images.Create) once every blob is stored, then unpacks: a kill
    // that lands during the unpack leaves a registered image, which must then be complete.
    t.regex(await daemon.ctrOk(['images', 'check']), /complete \(2\/2\)/);
  }
  const second = await daemon.ctrOk(['images', 'pull', '--plain-http', ref]);
  t.regex(second, /done: /);
  t.regex(await daemon.ctrOk(['images', 'check']), /complete \(2\/2\).*true/);
});

test('pull with the native snapshotter unpacks a full copy', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  const ref = `${registry.host}/library/busybox:latest`;
  await daemon.ctrOk(['images', 'pull', '--plain-http', '--snapshotter', 'native', ref]);
  t.regex(await daemon.ctrOk(['snapshots', '--snapshotter', 'native', 'ls']), /sha256:[0-9a-f]{64}\s+Committed/);
  t.notRegex(await daemon.ctrOk(['snapshots', 'ls']), /sha256:/);
});

test('removing the last image collects its blobs and snapshots; a labelled root stays', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  const ref = `${registry.host}/library/busybox:latest`;
  await daemon.ctrOk(['images', 'pull', '--plain-http', ref]);
  await daemon.ctrOk(['content', 'ingest', 'kept'], { input: 'kept by gc.root\n' });
  const kept = `sha256:${createHash('sha256').update('kept by gc.root\n').digest('hex')}`;
  await daemon.ctrOk(['snapshots', 'prepare', 'scratch']); // ctr labels it containerd.io/gc.root
  await daemon.ctrOk(['content', 'label', kept, 'containerd.io/gc.root=now']);
  t.is((await daemon.ctrOk(['content', 'ls', '-q'])).trim().split('\n').length, 4);

  await daemon.ctrOk(['images', 'rm', ref]);
  t.is((await daemon.ctrOk(['content', 'ls', '-q'])).trim(), kept);
  const snapshots = await daemon.ctrOk(['snapshots', 'ls']);
  t.notRegex(snapshots, /sha256:/);
  t.regex(snapshots, /scratch\s+Active/);
});
