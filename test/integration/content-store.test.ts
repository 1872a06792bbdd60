import test from 'ava';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsdError } from '../../guest/api/errors.js';
import { LocalContentStore } from '../../guest/containerd/content/local-store.js';

const digestOf = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function withStore(run: (store: LocalContentStore, root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'tsd-content-'));
  try {
    await run(await LocalContentStore.open(root), root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('write, commit, info, read, labels, delete', async (t) => {
  await withStore(async (store, root) => {
    const data = Buffer.from('hello content store');
    const digest = digestOf(data);
    const writer = await store.writer('ref-1', { total: data.length, expected: digest });
    await writer.write(data.subarray(0, 5));
    await writer.write(data.subarray(5));
    await writer.commit(data.length, digest, { labels: { a: '1' } });
    t.true(await store.has(digest));
    const info = await store.info(digest);
    t.is(info.size, data.length);
    t.deepEqual(info.labels, { a: '1' });
    t.deepEqual(await store.readAll(digest), data);
    const chunks: Buffer[] = [];
    for await (const chunk of await store.read(digest, { offset: 6, length: 7 })) chunks.push(chunk as Buffer);
    t.is(Buffer.concat(chunks).toString(), 'content');
    t.is((await stat(join(root, 'blobs/sha256', digest.slice(7)))).mode & 0o777, 0o444);
    await t.throwsAsync(store.status('ref-1'), { instanceOf: TsdError, message: /not found/ });

    await store.update(digest, { b: '2' }, ['labels.b']);
    t.deepEqual((await store.info(digest)).labels, { a: '1', b: '2' });
    await store.update(digest, { a: '' }, ['labels.a']);
    t.deepEqual((await store.info(digest)).labels, { b: '2' });
    await store.update(digest, { c: '3' });
    t.deepEqual((await store.info(digest)).labels, { c: '3' });
    await t.throwsAsync(store.update(digest, {}, ['size']), { message: /only labels/ });

    await store.delete(digest);
    t.false(await store.has(digest));
    const missing = await t.throwsAsync(store.info(digest), { instanceOf: TsdError });
    t.is(missing?.code, 'not-found');
    await t.throwsAsync(store.delete(digest), { message: /not found/ });
  });
});

test('a digest or size mismatch commits nothing and keeps the ingest for abort', async (t) => {
  await withStore(async (store) => {
    const data = Buffer.from('the real bytes');
    const wrong = digestOf(Buffer.from('other bytes'));
    const writer = await store.writer('bad', { expected: wrong });
    await writer.write(data);
    const error = await t.throwsAsync(writer.commit(data.length, undefined), { instanceOf: TsdError });
    t.is(error?.code, 'invalid-argument');
    t.regex(error?.message ?? '', /expected sha256:.*nothing committed/);
    await t.throwsAsync(writer.commit(data.length + 1, digestOf(data)), { message: /expected 15/ });
    await writer.close();
    t.deepEqual(await store.list(), []);
    t.is((await store.status('bad')).offset, data.length);
    await store.abort('bad');
    t.deepEqual(await store.listStatuses(), []);
  });
});

test('more bytes than the expected total are refused', async (t) => {
  await withStore(async (store) => {
    const writer = await store.writer('small', { total: 3 });
    await t.throwsAsync(writer.write(Buffer.from('four')), { message: /exceed the expected size 3/ });
    await writer.close();
  });
});

test('resume at the offset, restart at zero, refuse other offsets, lock per ref', async (t) => {
  await withStore(async (store) => {
    const data = randomBytes(10_000);
    const first = await store.writer('resume');
    await first.write(data.subarray(0, 4000));
    await t.throwsAsync(store.writer('resume'), { message: /locked/ });
    await first.close();
    const status = await store.status('resume');
    t.is(status.offset, 4000);
    const second = await store.writer('resume', { total: data.length, expected: digestOf(data) });
    t.is(second.offset(), 4000);
    await t.throwsAsync(second.write(data.subarray(5000), 5000), { message: /resume at 4000 or restart at 0/ });
    await second.write(data.subarray(0, 100), 0);
    t.is(second.offset(), 100);
    await second.write(data.subarray(100), 100);
    await second.commit(0, undefined);
    t.deepEqual(await store.readAll(digestOf(data)), data);
  });
});

test('committing content that already exists is already-exists and drops the ingest', async (t) => {
  await withStore(async (store) => {
    const data = Buffer.from('same');
    for (const ref of ['one', 'two']) {
      const writer = await store.writer(ref);
      await writer.write(data);
      if (ref === 'one') await writer.commit(data.length, digestOf(data));
      else {
        const error = await t.throwsAsync(writer.commit(data.length, digestOf(data)), { instanceOf: TsdError });
        t.is(error?.code, 'already-exists');
      }
    }
    t.deepEqual(await store.listStatuses(), []);
    t.is((await store.list()).length, 1);
  });
});

test('walk and list with containerd filters', async (t) => {
  await withStore(async (store) => {
    const put = async (text: string, labels: Record<string, string>): Promise<string> => {
      const data = Buffer.from(text);
      const writer = await store.writer(`ref-${text}`);
      await writer.write(data);
      await writer.commit(data.length, digestOf(data), { labels });
      return digestOf(data);
    };
    const a = await put('a', { 'containerd.io/gc.root': 'x', kind: 'layer' });
    const b = await put('bb', { kind: 'config' });
    const c = await put('ccc', {});
    t.deepEqual((await store.list()).map((i) => i.digest).sort(), [a, b, c].sort());
    t.deepEqual((await store.list('labels.kind==layer')).map((i) => i.digest), [a]);
    t.deepEqual((await store.list('labels."containerd.io/gc.root"')).map((i) => i.digest), [a]);
    t.deepEqual((await store.list('labels.kind==config', `digest==${c}`)).map((i) => i.digest).sort(), [b, c].sort());
    t.deepEqual((await store.list('size==2')).map((i) => i.digest), [b]);
    t.deepEqual((await store.list((info) => info.size === 3)).map((i) => i.digest), [c]);
  });
});

test('kill -9 in the middle of an ingest leaves a resumable ingest and no blob', async (t) => {
  await withStore(async (_store, root) => {
    const script = fileURLToPath(new URL('../helpers/content-ingest-child.ts', import.meta.url));
    // The child writes 1 MiB chunks forever and reports each one; we kill it after a few.
    const child = spawn(process.execPath, ['--import', 'tsx/esm', script, root, 'crash-ref'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let reported = 0;
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        reported += chunk.toString().split('\n').filter(Boolean).length;
        if (reported >= 3) resolve();
      });
    });
    child.removeAllListeners('exit');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const reopened = await LocalContentStore.open(root);
    t.deepEqual(await reopened.list(), []);
    t.deepEqual(await readdir(join(root, 'blobs/sha256')), []);
    const status = await reopened.status('crash-ref');
    t.true(status.offset >= 3 * 1024 * 1024);
    // Resume: the bytes on disk are the pattern's prefix; finish the content and commit.
    const writer = await reopened.writer('crash-ref');
    const total = status.offset + 1024 * 1024;
    const full = Buffer.alloc(total);
    for (let i = 0; i < total; i++) full[i] = i % 251;
    t.is(writer.digest(), `sha256:${createHash('sha256').update(full.subarray(0, status.offset)).digest('hex')}`);
    await writer.write(full.subarray(status.offset));
    await writer.commit(total, digestOf(full));
    t.true(await reopened.has(digestOf(full)));
  });
});
