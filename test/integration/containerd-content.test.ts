/**
 * The content service through the real ctr: ingest, ls, get, label, rm, namespace isolation,
 * digest and size checks, and labels that survive kill -9.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { ContainerdDaemon } from '../helpers/containerd-daemon.js';

const sha256 = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

test('ingest, list, get, label and remove content; labels survive kill -9', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  const body = 'hello content\n';
  const digest = sha256(body);
  await daemon.ctrOk(['content', 'ingest', '--expected-digest', digest, '--expected-size', String(body.length), 'ref-1'], { input: body });
  t.regex(await daemon.ctrOk(['content', 'ls']), new RegExp(`${digest}\\s+${body.length}B`));
  t.is(await daemon.ctrOk(['content', 'get', digest]), body);
  await daemon.ctrOk(['content', 'label', digest, 'purpose=test']);

  await daemon.kill9();
  await daemon.restart();
  t.regex(await daemon.ctrOk(['content', 'ls']), /purpose=test/);
  t.is(await daemon.ctrOk(['content', 'get', digest]), body);

  await daemon.ctrOk(['content', 'rm', digest]);
  const gone = await daemon.ctr(['content', 'get', digest]);
  t.not(gone.code, 0);
  t.regex(gone.stderr, /content digest sha256:[0-9a-f]{64}: not found/);
});

test('content is per namespace: labels and visibility are isolated', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  const body = 'shared bytes\n';
  const digest = sha256(body);
  await daemon.ctrOk(['content', 'ingest', 'r'], { namespace: 'one', input: body });
  await daemon.ctrOk(['content', 'label', digest, 'owner=one'], { namespace: 'one' });
  t.notRegex(await daemon.ctrOk(['content', 'ls'], { namespace: 'two' }), /sha256:/);
  t.not((await daemon.ctr(['content', 'get', digest], { namespace: 'two' })).code, 0);
  // Writing the same bytes in another namespace makes them visible there, without the labels.
  await daemon.ctrOk(['content', 'ingest', '--expected-digest', digest, 'r'], { namespace: 'two', input: body });
  const two = await daemon.ctrOk(['content', 'ls'], { namespace: 'two' });
  t.regex(two, new RegExp(digest));
  t.notRegex(two, /owner=one/);
  // Removing it in one namespace keeps it in the other.
  await daemon.ctrOk(['content', 'rm', digest], { namespace: 'one' });
  t.is(await daemon.ctrOk(['content', 'get', digest], { namespace: 'two' }), body);
});

test('a wrong digest or size commits nothing and leaves a resumable ingest', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  const wrong = await daemon.ctr(['content', 'ingest', '--expected-digest', sha256('other'), 'bad-digest'], { input: 'actual' });
  t.not(wrong.code, 0);
  t.regex(wrong.stderr, /content has digest sha256:[0-9a-f]{64}, expected sha256:[0-9a-f]{64} \(nothing committed\): invalid argument/);
  const short = await daemon.ctr(['content', 'ingest', '--expected-size', '100', 'short'], { input: 'tiny' });
  t.not(short.code, 0);
  t.notRegex(await daemon.ctrOk(['content', 'ls']), /sha256:/);
  const active = await daemon.ctrOk(['content', 'active']);
  t.regex(active, /bad-digest\s+6B/);
  t.regex(active, /short\s+4B/);
});

test('a namespace that is not empty cannot be removed', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  await daemon.ctrOk(['content', 'ingest', 'blob-1'], { namespace: 'busy', input: 'hello' });
  const removal = await daemon.ctr(['namespaces', 'rm', 'busy']);
  t.not(removal.code, 0);
  t.regex(removal.stderr, /namespace "busy" must be empty, but it still has blobs: failed precondition/);
});

test('leases: create, list, remove', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  await daemon.ctrOk(['leases', 'create', '--id', 'hold-1']);
  t.regex(await daemon.ctrOk(['leases', 'ls']), /hold-1/);
  const duplicate = await daemon.ctr(['leases', 'create', '--id', 'hold-1']);
  t.regex(duplicate.stderr, /lease "hold-1": already exists/);
  await daemon.ctrOk(['leases', 'rm', 'hold-1']);
  t.notRegex(await daemon.ctrOk(['leases', 'ls']), /hold-1/);
});
