// Pure parts of `tsd run`: -p specs, flags → create body, docker's argv rule, bind mounts through
// a machine's shares, image references.
import test from 'ava';
import { mapBindsToGuest } from '../../src/engine-client/verbs/bind-mounts.js';
import { parsePortSpec } from '../../src/engine-client/verbs/port-specs.js';
import { canonicalReference, parseImageReference } from '../../src/engine-client/verbs/pull.js';
import { buildCreateBody, parseBytes, parseEnvFile, type RunFlags } from '../../src/engine-client/verbs/run-options.js';
import { splitArgv } from '../../src/engine-client/verbs/split-argv.js';
import { startFailureCode } from '../../src/engine-client/verbs/run.js';

const none: RunFlags = {
  detach: false, interactive: false, tty: false, rm: false, publish: [], publishAll: false, env: [], envFileLines: [], volume: [],
  label: [], init: false, privileged: false, capAdd: [], capDrop: [], readOnly: false, addHost: [], dns: [],
};

test('-p forms docker accepts', (t) => {
  t.deepEqual(parsePortSpec('80'), [['80/tcp', { HostIp: '', HostPort: '' }]]);
  t.deepEqual(parsePortSpec('8080:80'), [['80/tcp', { HostIp: '', HostPort: '8080' }]]);
  t.deepEqual(parsePortSpec('127.0.0.1:8080:80/udp'), [['80/udp', { HostIp: '127.0.0.1', HostPort: '8080' }]]);
  t.deepEqual(parsePortSpec('127.0.0.1::80'), [['80/tcp', { HostIp: '127.0.0.1', HostPort: '' }]]);
  t.deepEqual(parsePortSpec('[::1]:8080:80'), [['80/tcp', { HostIp: '::1', HostPort: '8080' }]]);
  t.deepEqual(parsePortSpec('8000-8001:80-81'), [
    ['80/tcp', { HostIp: '', HostPort: '8000' }],
    ['81/tcp', { HostIp: '', HostPort: '8001' }],
  ]);
  t.deepEqual(parsePortSpec('8000-8010:80'), [['80/tcp', { HostIp: '', HostPort: '8000-8010' }]]);
  for (const bad of ['80:99999', 'a:80', '8000-8002:80-81', '80/quic', '1:2:3:4', '']) {
    t.throws(() => parsePortSpec(bad), { message: /invalid port specification/ }, bad);
  }
});

test('flags become docker\'s create body', (t) => {
  const { body, bindSources } = buildCreateBody(
    'nginx',
    ['nginx', '-g', 'daemon off;'],
    {
      ...none, interactive: true, tty: true, rm: true, publish: ['127.0.0.1:8080:80'], env: ['A=1', 'FROM_ENV', 'UNSET'], envFileLines: ['# c', 'B=2'],
      volume: ['./src:/src:ro', 'data:/data', '/anon'], memory: '512m', cpus: '1.5', pidsLimit: 100, restart: undefined, label: ['x=y', 'flag'], init: true,
    },
    { FROM_ENV: 'here' },
    '/home/me/project',
  );
  t.like(body, { Image: 'nginx', Tty: true, OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true });
  t.deepEqual(body.Cmd, ['nginx', '-g', 'daemon off;']);
  t.deepEqual(body.Env, ['B=2', 'A=1', 'FROM_ENV=here']);
  t.deepEqual(body.Labels, { x: 'y', flag: '' });
  t.deepEqual(body.ExposedPorts, { '80/tcp': {} });
  t.deepEqual(body.Volumes, { '/anon': {} });
  t.deepEqual(body.HostConfig, {
    AutoRemove: true,
    Binds: ['/home/me/project/src:/src:ro', 'data:/data'],
    PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] },
    Memory: 512 * 1024 * 1024,
    NanoCpus: 1_500_000_000,
    PidsLimit: 100,
    Init: true,
  });
  t.deepEqual(bindSources, ['/home/me/project/src']);
  const detached = buildCreateBody('busybox', [], { ...none, detach: true, interactive: true }, {}, '/').body;
  t.like(detached, { AttachStdin: false, AttachStdout: false, StdinOnce: false, OpenStdin: true });
});

test('bad run flags are clear errors', (t) => {
  t.throws(() => buildCreateBody('x', [], { ...none, rm: true, restart: 'always' }, {}, '/'), { message: /--restart and --rm/ });
  t.throws(() => buildCreateBody('x', [], { ...none, restart: 'sometimes' }, {}, '/'), { message: /invalid restart policy/ });
  t.throws(() => buildCreateBody('x', [], { ...none, volume: ['src:dst'] }, {}, '/'), { message: /must be absolute/ });
  t.throws(() => buildCreateBody('x', [], { ...none, cpus: '-1' }, {}, '/'), { message: /--cpus/ });
  t.throws(() => parseBytes('12q', '--memory'), { message: /invalid size for --memory/ });
  t.is(parseBytes('1g', '--memory'), 1024 ** 3);
  t.throws(() => parseEnvFile(['BAD NAME=1'], {}), { message: /whitespace/ });
});

test('docker\'s argv rule: flags before the image, the rest is the command', (t) => {
  const shapes = { withValue: new Set(['name', 'p', 'publish', 'e']), booleanShorts: new Set(['i', 't', 'd']) };
  t.deepEqual(splitArgv(['-it', '--name', 'x', '-p', '80:80', 'busybox', 'sh', '-c', 'echo -n hi'], shapes), {
    flags: ['-i', '-t', '--name', 'x', '-p', '80:80'],
    rest: ['busybox', 'sh', '-c', 'echo -n hi'],
  });
  t.deepEqual(splitArgv(['--name=x', '-e', 'A=1', '--', '-weird-image'], shapes), { flags: ['--name=x', '-e', 'A=1'], rest: ['-weird-image'] });
  t.deepEqual(splitArgv(['-d'], shapes), { flags: ['-d'], rest: [] });
});

test('bind sources must lie in a share; the guest path follows the share\'s mountPoint', (t) => {
  const shares = {
    machine: 'default',
    configPath: '/home/me/.tsd/machines/default/machine.yaml',
    mounts: [
      { location: '/home/me', mountPoint: '/home/me', writable: true },
      { location: '/srv/data', mountPoint: '/data', writable: false },
    ],
  };
  t.deepEqual(mapBindsToGuest(['/home/me/p:/src', 'vol:/v', '/srv/data/x:/x:ro'], ['/home/me/p', '/srv/data/x'], shares), ['/home/me/p:/src', 'vol:/v', '/data/x:/x:ro']);
  const outside = t.throws(() => mapBindsToGuest(['/etc:/e'], ['/etc'], shares));
  t.regex(outside.message, /cannot bind \/etc: it is not inside a folder that machine "default" shares \(shared: \/home\/me, \/srv\/data\)/);
  t.regex(outside.message, /key "mounts" of \/home\/me\/.tsd\/machines\/default\/machine.yaml/);
  t.throws(() => mapBindsToGuest(['/home/meme:/m'], ['/home/meme'], shares), { message: /not inside/ });
  t.throws(() => mapBindsToGuest(['/srv/data/x:/x'], ['/srv/data/x'], shares), { message: /read-only .*":ro"/ });
});

test('image references and the name docker prints after a pull', (t) => {
  t.deepEqual(parseImageReference('busybox'), { repository: 'busybox', tag: 'latest', explicit: false });
  t.deepEqual(parseImageReference('localhost:5000/a/b:1.0'), { repository: 'localhost:5000/a/b', tag: '1.0', explicit: true });
  t.deepEqual(parseImageReference('localhost:5000/a'), { repository: 'localhost:5000/a', tag: 'latest', explicit: false });
  t.is(canonicalReference(parseImageReference('busybox')), 'docker.io/library/busybox:latest');
  t.is(canonicalReference(parseImageReference('me/app:2')), 'docker.io/me/app:2');
  t.is(canonicalReference(parseImageReference('nginx@sha256:abc')), 'docker.io/library/nginx@sha256:abc');
  t.is(canonicalReference(parseImageReference('127.0.0.1:5000/x')), '127.0.0.1:5000/x:latest');
  t.throws(() => parseImageReference('Busybox'), { message: /lowercase/ });
});

test('start failures map to docker\'s 127 / 126 / 125', (t) => {
  t.is(startFailureCode('exec: "nope": executable file not found in $PATH: unknown'), 127);
  t.is(startFailureCode('exec /bin/x: permission denied'), 126);
  t.is(startFailureCode('cgroup error'), 125);
});
