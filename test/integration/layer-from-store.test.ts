import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import { MediaType } from '../../guest/api/oci-image-spec.js';
import { LocalContentStore } from '../../guest/containerd/content/local-store.js';
import { applyLayerFromStore } from '../../guest/containerd/diff/apply-from-store.js';
import { addJson } from '../fixtures/image-builder.js';
import { buildTar, gzip } from '../helpers/tar-builder.js';

test('applies a layer blob from the store and checks its diff_id and media type', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-from-store-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = await LocalContentStore.open(join(dir, 'store'));
  const tar = await buildTar([{ name: 'hello.txt', content: 'hi' }]);
  const blob = gzip(tar);
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
  const writer = await store.writer('layer');
  await writer.write(blob);
  await writer.commit(blob.length, digest);
  const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  const layer = { mediaType: MediaType.dockerLayerGzip, digest, size: blob.length };

  const target = join(dir, 'ok');
  await mkdir(target);
  const result = await applyLayerFromStore(store, layer, diffId, target, { mode: 'overlay' });
  t.is(result.diffId, diffId);
  t.is(await readFile(join(target, 'hello.txt'), 'utf8'), 'hi');

  const wrong = join(dir, 'wrong');
  await mkdir(wrong);
  const mismatch = await t.throwsAsync(applyLayerFromStore(store, layer, `sha256:${'0'.repeat(64)}`, wrong, { mode: 'overlay' }), { instanceOf: TsdError });
  t.is(mismatch?.code, 'invalid-argument');
  t.regex(mismatch?.message ?? '', /image config's diff_id is sha256:0{64}/);

  const config = await addJson(store, MediaType.ociConfig, { not: 'a layer' });
  const unsupported = await t.throwsAsync(applyLayerFromStore(store, config, undefined, wrong, { mode: 'overlay' }), { instanceOf: TsdError });
  t.is(unsupported?.code, 'unsupported');
});
