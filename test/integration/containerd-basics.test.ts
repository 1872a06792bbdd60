/**
 * tsd-containerd against Debian's real ctr: version, introspection, namespaces, events, and
 * metadata surviving kill -9.
 */
import test from 'ava';
import { ContainerdDaemon } from '../helpers/containerd-daemon.js';

test('ctr version and plugins ls talk to tsd-containerd', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  const version = await daemon.ctrOk(['version']);
  t.regex(version, /Server:\s+Version:\s+0\.1\.0-tsd/);
  const uuid = /UUID: ([0-9a-f-]{36})/.exec(version)?.[1];
  t.truthy(uuid);
  const plugins = await daemon.ctrOk(['plugins', 'ls']);
  t.regex(plugins, /io\.containerd\.grpc\.v1\s+namespaces/);
  // The UUID is kept under the root across restarts.
  await daemon.kill9();
  await daemon.restart();
  t.true((await daemon.ctrOk(['version'])).includes(`UUID: ${uuid as string}`));
});

test('namespaces: create, label, list, remove, errors like containerd', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  await daemon.ctrOk(['namespaces', 'create', 'team-a', 'owner=me']);
  t.regex(await daemon.ctrOk(['namespaces', 'ls']), /team-a\s+owner=me/);
  await daemon.ctrOk(['namespaces', 'label', 'team-a', 'tier=gold']);
  t.regex(await daemon.ctrOk(['namespaces', 'ls']), /team-a\s+owner=me,tier=gold/);

  const again = await daemon.ctr(['namespaces', 'create', 'team-a']);
  t.not(again.code, 0);
  t.regex(again.stderr, /namespace team-a: already exists/);
  const bad = await daemon.ctr(['namespaces', 'create', 'no/slash']);
  t.regex(bad.stderr, /identifier must be .*: invalid argument/);

  // Metadata survives kill -9.
  await daemon.kill9();
  await daemon.restart();
  t.regex(await daemon.ctrOk(['namespaces', 'ls']), /team-a\s+owner=me,tier=gold/);

  await daemon.ctrOk(['namespaces', 'rm', 'team-a']);
  t.notRegex(await daemon.ctrOk(['namespaces', 'ls']), /team-a/);
});

test('ctr events receives /namespaces/create', async (t) => {
  const daemon = await ContainerdDaemon.start();
  t.teardown(() => daemon.stop());
  const events = await daemon.subscribeEvents();
  t.teardown(() => events.stop());
  const line = events.text().split('\n').find((l) => l.includes('/namespaces/create'));
  t.truthy(line, events.text());
  t.regex(line as string, /default \/namespaces\/create \{"name":"events-probe-\d+","labels":\{"k":"v"\}\}/);
});
