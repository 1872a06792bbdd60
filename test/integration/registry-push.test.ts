import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LocalContentStore } from '../../guest/containerd/content/local-store.js';
import { pullImage } from '../../guest/containerd/registry/pull.js';
import { pushImage } from '../../guest/containerd/registry/push.js';
import { RegistryClient } from '../../guest/containerd/registry/registry-client.js';
import type { TransferEvent } from '../../guest/containerd/registry/types.js';
import { addImage } from '../fixtures/image-builder.js';
import { startRegistry } from '../helpers/registry.js';

test('push: chunked upload, existence check, cross-repository mount, then a pull gets the same image', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-push-'));
  const registry = await startRegistry();
  const client = new RegistryClient();
  try {
    const store = await LocalContentStore.open(join(dir, 'store'));
    // A layer of incompressible bytes, so that a small chunk size makes several PATCHes.
    const layerPath = join(dir, 'layer.tar.gz');
    await writeFile(layerPath, gzipSync(Buffer.concat([tarHeader('data.bin', 40_000), randomBytes(40_000), Buffer.alloc(1024 + 2 * 512 + 10240 - 40_000 % 512)])));
    const manifest = await addImage(store, { format: 'oci', platform: { os: 'linux', architecture: 'amd64' }, layers: [layerPath], runtime: { Cmd: ['true'] } });

    const first: TransferEvent[] = [];
    await pushImage(client, store, `${registry.host}/team/app:v1`, manifest, { chunkSize: 16 * 1024, onEvent: (e) => first.push(e) });
    t.true(first.filter((e) => e.kind === 'blob-progress').length >= 3, 'several chunks');
    t.is(first.filter((e) => e.kind === 'blob-done').length, 2, 'config and layer uploaded');

    const again: TransferEvent[] = [];
    await pushImage(client, store, `${registry.host}/team/app:v2`, manifest, { onEvent: (e) => again.push(e) });
    t.deepEqual(again.filter((e) => e.kind !== 'manifest-done').map((e) => e.kind), ['blob-exists', 'blob-exists']);

    const mounted: TransferEvent[] = [];
    await pushImage(client, store, `${registry.host}/other/app:v1`, manifest, { mountFrom: ['team/app'], onEvent: (e) => mounted.push(e) });
    t.deepEqual(mounted.filter((e) => e.kind === 'blob-mounted').map((e) => e.kind === 'blob-mounted' && e.from), ['team/app', 'team/app']);

    const pulled = await LocalContentStore.open(join(dir, 'pulled'));
    const image = await pullImage(client, pulled, `${registry.host}/other/app:v1`, { platform: { os: 'linux', architecture: 'amd64' } });
    t.is(image.manifest.digest, manifest.digest);
    t.deepEqual(await pulled.readAll(image.layers[0]?.digest ?? ''), await store.readAll(image.layers[0]?.digest ?? ''));
  } finally {
    client.close();
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

/** A minimal ustar header for one regular file (the registry does not parse layers; pull does not either). */
function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(size.toString(8).padStart(11, '0') + '\0', 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return header;
}
