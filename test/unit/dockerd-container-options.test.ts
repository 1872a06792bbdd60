// Pure logic of container options: log attributes (--details), and what the other options parse.
import test from 'ava';
import { detailsPrefix, extraAttributes, validateLogOptions } from '../../guest/dockerd/containers/io/log-attrs.js';

const source = { id: 'a'.repeat(64), name: 'web', imageName: 'busybox', imageId: 'sha256:' + 'b'.repeat(64), labels: { app: 'x y', 'com.z': '1' }, env: ['A=1', 'B=two=2', 'NOVALUE'] };

test('extra attributes: listed labels and env, regexes, tag template fields', (t) => {
  t.deepEqual(extraAttributes({ labels: 'app,missing', env: 'B,NOVALUE' }, source), { app: 'x y', B: 'two=2' });
  t.deepEqual(extraAttributes({ 'labels-regex': '^com\\.', 'env-regex': '^A$' }, source), { 'com.z': '1', A: '1' });
  t.deepEqual(extraAttributes({ tag: '{{.Name}}/{{.ID}}/{{.ImageID}}/{{.Nope}}' }, source), { tag: `web/${'a'.repeat(12)}/${'b'.repeat(12)}/{{.Nope}}` });
  t.deepEqual(extraAttributes({}, source), {});
});

test('details prefix: sorted bytewise, Go query escaping, a space even when empty', (t) => {
  t.is(detailsPrefix({ b: 'x y', A: "it's/1", a: '~ok' }), 'A=it%27s%2F1,a=~ok,b=x+y ');
  t.is(detailsPrefix(undefined), ' ');
});

test('log options: unknown keys and bad regexes are refused; other drivers are not checked here', (t) => {
  t.throws(() => validateLogOptions('json-file', { colour: 'blue' }), { message: "unknown log opt 'colour' for json-file log driver" });
  t.throws(() => validateLogOptions('json-file', { 'labels-regex': '[' }), { message: /^error parsing regexp/ });
  t.notThrows(() => validateLogOptions('json-file', { 'max-size': '10m', labels: 'a' }));
  t.notThrows(() => validateLogOptions('none', { anything: '1' }));
});

test('volumes-from: container[:mode] with ro/rw and a label, other modes refused; ro only ever narrows', async (t) => {
  const { inheritMounts, parseVolumesFrom } = await import('../../guest/dockerd/containers/spec/volumes-from.js');
  t.deepEqual(parseVolumesFrom('data'), { container: 'data', readOnly: false });
  t.deepEqual(parseVolumesFrom('data:ro,z'), { container: 'data', readOnly: true });
  t.deepEqual(parseVolumesFrom('data:rw'), { container: 'data', readOnly: false });
  for (const bad of ['data:rshared', 'data:nocopy', 'data:ro,rw', 'data:']) t.throws(() => parseVolumesFrom(bad), { message: `invalid mode: ${bad.slice(5)}` });
  t.throws(() => parseVolumesFrom(''), { message: 'volumes-from specification cannot be an empty string' });
  const a = [{ type: 'volume' as const, name: 'v', destination: '/v', readOnly: true }, { type: 'bind' as const, source: '/h', destination: '/b', readOnly: false, propagation: 'rprivate' }];
  const b = [{ type: 'volume' as const, name: 'w', destination: '/b', readOnly: false }];
  t.deepEqual(inheritMounts([{ entry: { container: 'a', readOnly: false }, mounts: a }, { entry: { container: 'b', readOnly: true }, mounts: b }]), [
    { type: 'volume', name: 'v', destination: '/v', readOnly: true },
    { type: 'volume', name: 'w', destination: '/b', readOnly: true },
  ]);
});

test('devices: mappings completed and checked; major/minor from dev_t; a directory maps every node under it', async (t) => {
  const { containerDevices, majorMinor, normalizeDevices } = await import('../../guest/dockerd/containers/spec/devices.js');
  t.deepEqual(normalizeDevices({ Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '', CgroupPermissions: '' }] }), [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }]);
  for (const mode of ['rwx', 'rr']) {
    t.throws(() => normalizeDevices({ Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: mode }] }), { message: `invalid device mode: ${mode}` });
  }
  t.throws(() => normalizeDevices({ Devices: [{ PathOnHost: '/dev/null', PathInContainer: 'dev/x', CgroupPermissions: 'r' }] }), { message: /not an absolute path/ });
  t.deepEqual(majorMinor((10 << 8) | 229), { major: 10, minor: 229 });
  // Large numbers use glibc's split encoding: major 259, minor 300000.
  const rdev = ((300000 & 0xff) | ((259 & 0xfff) << 8)) + ((300000 & ~0xff) << 12) * 1;
  t.deepEqual(majorMinor(rdev), { major: 259, minor: 300000 });
  const found = containerDevices({ PathOnHost: '/dev/snd', PathInContainer: '/dev/sound', CgroupPermissions: 'rw' }, '/dev/snd', [
    { path: '/dev/snd/timer', type: 'c', rdev: (116 << 8) | 33, mode: 0o20660, uid: 0, gid: 29 },
  ]);
  t.deepEqual(found, {
    devices: [{ path: '/dev/sound/timer', type: 'c', major: 116, minor: 33, fileMode: 0o660, uid: 0, gid: 29 }],
    rules: [{ allow: true, type: 'c', major: 116, minor: 33, access: 'rw' }],
  });
});

test('tsd-runc plan: mknod sends its mode in octal and major/minor in decimal (the helper reads them so)', async (t) => {
  const { describePlan } = await import('../../guest/runc/plan/steps.js');
  t.is(describePlan([['mknod', '/r/dev/fuse', 0o20600, 10, 229]]), '"mknod" "/r/dev/fuse" "20600" "10" "229"');
});

test('detach keys: Docker\'s key names; the scanner holds back a partial sequence and sends it when it breaks', async (t) => {
  const { DetachScanner, parseDetachKeys } = await import('../../guest/dockerd/containers/io/detach-keys.js');
  t.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
  t.deepEqual([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_,a')], [0, 27, 28, 29, 30, 31, 97]);
  for (const bad of ['ctrl-1', 'ctrl-', 'abc', 'ctrl-A', 'a,,b']) t.throws(() => parseDetachKeys(bad), { message: `Invalid detach keys (${bad}) provided` });
  const scanner = new DetachScanner(parseDetachKeys('ctrl-p,ctrl-q'));
  t.deepEqual(scanner.push(Buffer.from('ab\x10')), { forward: Buffer.from('ab'), detached: false });
  t.deepEqual(scanner.push(Buffer.from('x')), { forward: Buffer.from('\x10x'), detached: false });
  t.deepEqual(scanner.push(Buffer.from('\x10\x10')), { forward: Buffer.from('\x10'), detached: false });
  t.deepEqual(scanner.push(Buffer.from('\x11rest')), { forward: Buffer.alloc(0), detached: true });
});

test('device cgroup rules: the devices.allow syntax, wildcards as null, anything else refused', async (t) => {
  const { deviceCgroupRules } = await import('../../guest/dockerd/containers/spec/devices.js');
  t.deepEqual(deviceCgroupRules(['c 1:3 rwm', 'a *:* m', 'b 8:* r']), [
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'a', major: null, minor: null, access: 'm' },
    { allow: true, type: 'b', major: 8, minor: null, access: 'r' },
  ]);
  for (const bad of ['c 1:3', 'x 1:3 r', 'c 1:3 rwx', 'c 1 r']) t.throws(() => deviceCgroupRules([bad]), { message: `invalid device cgroup format '${bad}'` });
});
