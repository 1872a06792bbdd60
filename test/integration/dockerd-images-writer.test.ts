// Writing a new image through containerd (what commit/import/build use): a layer streamed in with
// its digest computed on the way, config and manifest stored, the image named — then it is
// listed and inspected by the real CLI and unpacks for a container like a pulled image.
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { ImageConfig, ImageManifest } from '../../guest/api/oci-image-spec.js';
import type { RunningEngine } from '../../guest/dockerd/engine-server.js';
import { writeBlob, writeImage } from '../../guest/dockerd/images/image-writer.js';
import { TarWriter } from '../../guest/dockerd/images/tar-writer.js';
import { startImageEngine, type ImageEngineFixture } from '../helpers/engine-server-fixture.js';

let server: ImageEngineFixture;
let engine: RunningEngine;

test.before(async () => {
  server = await startImageEngine({ containerd: 'tsd', prefix: 'tsdtest-dockerd-writer-' });
  engine = server.engine;
});

test.after.always(async () => {
  await server?.stop();
});

async function docker(...args: string[]): Promise<string> {
  return (await server.docker(...args)).stdout;
}

async function helloLayer(): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const tar = new TarWriter(out);
  await tar.file('hello.txt', Buffer.from('written by tsd\n'));
  await tar.finish();
  out.end();
  return Buffer.concat(chunks);
}

test('a written image is named, listed, inspected and unpacks on top of its parent layers', async (t) => {
  await docker('pull', 'busybox');
  const ctx = engine.context;
  const base = await ctx.images.resolve('busybox');
  const layerBytes = await helloLayer();
  const layer = await writeBlob(ctx.containerd.content, (async function* () {
    yield layerBytes.subarray(0, 700);
    yield layerBytes.subarray(700);
  })(), 'application/vnd.docker.image.rootfs.diff.tar');
  t.is(layer.digest, `sha256:${createHash('sha256').update(layerBytes).digest('hex')}`);
  t.is(layer.size, layerBytes.length);
  const config: ImageConfig = {
    ...base.config,
    config: { ...base.config.config, Labels: { 'made.by': 'h3' } },
    rootfs: { type: 'layers', diff_ids: [...base.config.rootfs.diff_ids, layer.digest] },
    history: [...(base.config.history ?? []), { created: new Date().toISOString(), created_by: 'tsd test: add hello.txt' }],
  };
  const written = await writeImage(ctx, { config, layers: [...(base.manifest as ImageManifest).layers, layer], names: ['h3/written:1'] });

  const inspect = JSON.parse(await docker('image', 'inspect', 'h3/written:1')) as Array<{ Id: string; Config: { Labels: Record<string, string> }; RootFS: { Layers: string[] } }>;
  t.is(inspect[0]!.Id, written.id);
  t.deepEqual(inspect[0]!.Config.Labels, { 'made.by': 'h3' });
  t.is(inspect[0]!.RootFS.Layers.length, 2);
  t.regex(await docker('images', '--format', '{{.Repository}}:{{.Tag}}'), /^h3\/written:1$/m);
  t.regex(await docker('history', '--format', '{{.CreatedBy}}', 'h3/written:1'), /^tsd test: add hello\.txt$/m);

  // Unpacked for a container: the new top snapshot's directory holds the file.
  const forContainer = await ctx.images.forContainer('h3/written:1');
  t.is(forContainer.id, written.id);
  const mounts = await ctx.containerd.snapshots.view(`h3-view-${process.pid}`, forContainer.chainId);
  const dirs = mounts.flatMap((m) => m.options.filter((o) => o.startsWith('lowerdir=')).flatMap((o) => o.slice('lowerdir='.length).split(':')).concat(m.type === 'bind' ? [m.source] : []));
  const withFile = dirs.filter((d) => existsSync(join(d, 'hello.txt')));
  t.is(withFile.length, 1);
  t.is(readFileSync(join(withFile[0]!, 'hello.txt'), 'utf8'), 'written by tsd\n');
  // (An unleased view is garbage to containerd: remove it before the next write collects it.)
  await ctx.containerd.snapshots.remove(`h3-view-${process.pid}`);

  // Without names it is dangling, listed by ID.
  const unnamed = await writeImage(ctx, { config: { ...config, config: { ...config.config, Labels: { n: '2' } } }, layers: [...(base.manifest as ImageManifest).layers, layer], names: [] });
  t.is((await docker('images', '-q', '--no-trunc', '--filter', 'dangling=true')).trim(), unnamed.id);
});
