import test from 'ava';
import { TsdError } from '../../guest/api/errors.js';
import { hostsFile, resolvConf } from '../../guest/dockerd/containers/spec/etc-files.js';
import { ociMount, parseBind, parseMountSpec, plannedMounts } from '../../guest/dockerd/containers/spec/mounts.js';
import { parseGroup, parsePasswd, resolveUser } from '../../guest/dockerd/containers/spec/user.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\nwww:x:33:33::/var/www:/bin/sh\n';
const GROUP = 'root:x:0:\nwheel:x:10:root\nnogroup:x:65534:\nwww-data:x:33:\nstaff:x:50:www\n';

test('user: names and ids through the container passwd/group files', (t) => {
  const passwd = parsePasswd(PASSWD);
  const groups = parseGroup(GROUP);
  t.deepEqual(resolveUser('', passwd, groups), { user: { uid: 0, gid: 0, additionalGids: [10] }, home: '/root' });
  t.deepEqual(resolveUser('www', passwd, groups), { user: { uid: 33, gid: 33, additionalGids: [50] }, home: '/var/www' });
  t.deepEqual(resolveUser('1234:5', passwd, groups), { user: { uid: 1234, gid: 5 }, home: '/' });
  t.deepEqual(resolveUser('nobody:wheel', passwd, groups).user, { uid: 65534, gid: 10 });
  t.deepEqual(resolveUser('nobody', passwd, groups, ['staff', '99']).user, { uid: 65534, gid: 65534, additionalGids: [50, 99] });
  const error = t.throws(() => resolveUser('ghost', passwd, groups), { instanceOf: TsdError });
  t.is(error?.message, 'unable to find user ghost: no matching entries in passwd file');
  t.throws(() => resolveUser('root:ghosts', passwd, groups), { message: 'unable to find group ghosts: no matching entries in group file' });
});

test('binds: host paths, named and anonymous volumes, modes', (t) => {
  t.deepEqual(parseBind('/srv/data/:/data:ro,rshared'), { type: 'bind', source: '/srv/data', destination: '/data', readOnly: true, propagation: 'rshared', createSource: true, fromBinds: true });
  t.deepEqual(parseBind('cache:/cache'), { type: 'volume', name: 'cache', destination: '/cache', readOnly: false, anonymous: false, noCopy: false });
  t.deepEqual(parseBind('/anon'), { type: 'volume', name: '', destination: '/anon', readOnly: false, anonymous: true, noCopy: false, bare: true });
  t.throws(() => parseBind('/a:/b:bogus'), { message: "invalid volume specification: '/a:/b:bogus': invalid mode: bogus" });
  t.throws(() => parseBind('/a:relative'), { message: /mount path must be absolute/ });
  t.throws(() => parseBind('/a:/'), { message: /destination can't be '\/'/ });
});

test('mounts: --mount types, with Docker wording for wrong fields', (t) => {
  t.deepEqual(parseMountSpec({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o700 } }), { type: 'tmpfs', destination: '/t', options: ['nosuid', 'nodev', 'noexec', 'size=1024k', 'mode=700'], fromMounts: true });
  t.throws(() => parseMountSpec({ Type: 'bind', Target: '/t' }), { message: 'invalid mount config for type "bind": field Source must not be empty' });
  t.throws(() => parseMountSpec({ Type: 'tmpfs', Source: '/x', Target: '/t' }), { message: 'invalid mount config for type "tmpfs": field Source must not be specified' });
  t.throws(() => parseMountSpec({ Type: 'weird' as 'bind', Target: '/t' }), { message: 'invalid mount config for type "weird": mount type unknown' });
  t.throws(() => plannedMounts({ Binds: ['/a:/x'], Tmpfs: { '/x': '' } }), { message: 'Duplicate mount point: /x' });
  t.deepEqual(ociMount(parseBind('/a:/b:ro')), { destination: '/b', type: 'bind', source: '/a', options: ['rbind', 'ro', 'rprivate'] });
});

test('hosts file: localhost lines, extra hosts, own name last', (t) => {
  const text = hostsFile({ hostname: 'web', ip: '172.30.0.2', extraHosts: ['db:10.0.0.5', 'gw:host-gateway', 'v6:[::1]'], hostGateway: '172.30.0.1' });
  t.true(text.startsWith('127.0.0.1\tlocalhost\n'));
  t.true(text.endsWith('10.0.0.5\tdb\n172.30.0.1\tgw\n::1\tv6\n172.30.0.2\tweb\n'));
  t.throws(() => hostsFile({ hostname: 'x', extraHosts: ['bad:notanip'] }), { message: 'invalid IP address in add-host: "notanip"' });
});

test('resolv.conf: host file without loopback servers; Dns options override', (t) => {
  const host = 'nameserver 127.0.0.53\nnameserver 10.1.1.1\nsearch corp.example\noptions ndots:2\n';
  t.is(resolvConf({ hostResolvConf: host, dns: [], dnsSearch: [], dnsOptions: [], fallbackNameservers: ['9.9.9.9'] }), 'nameserver 10.1.1.1\nsearch corp.example\noptions ndots:2\n');
  t.is(resolvConf({ hostResolvConf: 'nameserver 127.0.0.1\n', dns: [], dnsSearch: [], dnsOptions: [], fallbackNameservers: ['10.0.2.3'] }), 'nameserver 10.0.2.3\n');
  t.is(resolvConf({ hostResolvConf: host, dns: ['1.2.3.4'], dnsSearch: ['a.b'], dnsOptions: ['rotate'], fallbackNameservers: [] }), 'nameserver 1.2.3.4\nsearch a.b\noptions rotate\n');
  t.throws(() => resolvConf({ hostResolvConf: '', dns: ['nope'], dnsSearch: [], dnsOptions: [], fallbackNameservers: [] }), { message: 'nope is not an ip address' });
});
