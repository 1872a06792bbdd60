import test from 'ava';
import { parseFlags } from '../../guest/shim/flags.js';
import { groupKey, shimGroup } from '../../guest/shim/group.js';
import { parseMountOptions } from '../../guest/shim/rootfs.js';
import { parseTomlStrings } from '../../guest/shim/runtime-options.js';

test('flags: containerd 1.6 start and delete command lines, Go flag syntax', (t) => {
  t.like(parseFlags(['-namespace', 'default', '-address', '/run/c.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'c1', '-debug', 'start']), {
    namespace: 'default', address: '/run/c.sock', publishBinary: '/usr/bin/containerd', id: 'c1', debug: true, action: 'start',
  });
  t.like(parseFlags(['--namespace=moby', '-id=x', '-bundle', '/b', 'delete']), { namespace: 'moby', id: 'x', bundle: '/b', action: 'delete', debug: false });
  t.is(parseFlags(['-v']).action, 'version');
  t.throws(() => parseFlags(['-id', 'x', 'start']), { message: /namespace cannot be empty/ });
  t.throws(() => parseFlags(['-namespace', 'n', '-bogus', 'start']), { message: /not defined: -bogus/ });
  t.throws(() => parseFlags(['-namespace', 'n', 'frobnicate']), { message: /unknown action "frobnicate"/ });
  t.throws(() => parseFlags(['-namespace']), { message: /needs an argument: -namespace/ });
});

test('grouping: namespace by default, annotations override, container opts out; sockets differ per address', (t) => {
  t.is(groupKey('default', 'c1', {}), 'namespace/default');
  t.is(groupKey('default', 'c1', { 'io.containerd.runc.v2.group': 'pod1' }), 'group/pod1');
  t.is(groupKey('default', 'c1', { 'io.containerd.tsd.v2.group': 'container' }), 'task/c1');
  const a = shimGroup('/run/a.sock', 'default', 'namespace/default');
  const b = shimGroup('/run/b.sock', 'default', 'namespace/default');
  t.not(a.socket, b.socket);
  t.regex(a.socket, /^\/run\/containerd\/s\/[0-9a-f]{64}$/);
  t.deepEqual(shimGroup('/run/a.sock', 'default', 'namespace/default'), a, 'stable');
});

test('mount options: flags and data split as containerd does', (t) => {
  t.deepEqual(parseMountOptions(['ro', 'nosuid', 'lowerdir=/a:/b', 'upperdir=/u', 'workdir=/w']), { flags: 0x1 | 0x2, data: 'lowerdir=/a:/b,upperdir=/u,workdir=/w' });
  t.deepEqual(parseMountOptions(['rbind', 'rw']), { flags: 0x1000 | 0x4000, data: '' });
  t.deepEqual(parseMountOptions(['ro', 'rw']), { flags: 0, data: '' }, 'later words win');
});

test('runtime config file: string keys of a flat TOML table', (t) => {
  t.deepEqual(parseTomlStrings('# runtime\nBinaryName = "/usr/sbin/runc"\nRoot="/run/x" # comment\nSystemdCgroup = true\n'), { BinaryName: '/usr/sbin/runc', Root: '/run/x' });
  t.deepEqual(parseTomlStrings('BinaryName = "a\\"b"'), { BinaryName: 'a"b' });
});
