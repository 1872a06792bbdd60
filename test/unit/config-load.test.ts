import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { currentHost } from '../../src/config/host.js';
import { defaultMachineConfig, loadMachineConfig, parseMachineConfig } from '../../src/config/load.js';
import { formatMachineConfig } from '../../src/config/marshal.js';
import { MachineFileError } from '../../src/config/source.js';
import { defaultTemplatePath } from '../../src/config/templates.js';
import { linux, mac, windows, yaml } from './config-fixtures.js';

test('a full machine file parses into a complete config', (t) => {
  const text = yaml(
    'arch: aarch64',
    'accel: tcg',
    'cpus: 3',
    'memory: 3GiB',
    'disk: 100',
    'mounts:',
    '  - location: ~/src',
    '  - location: /srv/data',
    '    mountPoint: /data',
    '    writable: false',
    'portForwards:',
    '  - guestPort: 8080',
    '  - {guestPort: 53, hostPort: 1053, hostIp: 0.0.0.0, proto: udp}',
    'registryMirrors: [http://10.0.2.2:5000]',
    'insecureRegistries: ["10.0.2.2:5000"]',
    'env: {HTTP_PROXY: "http://10.0.2.2:3128", EMPTY: ""}',
    'provision:',
    '  - sysctl -w vm.max_map_count=262144',
    '  - |',
    '    mkdir -p /var/lib/cache',
    '    touch /var/lib/cache/ready',
  );
  t.deepEqual(parseMachineConfig(text, 'machine.yaml', linux), {
    arch: 'aarch64',
    accel: 'tcg',
    cpus: 3,
    memory: 3072,
    disk: 100,
    mounts: [
      { location: '/home/me/src', mountPoint: '/home/me/src', writable: true },
      { location: '/srv/data', mountPoint: '/data', writable: false },
    ],
    portForwards: [
      { guestPort: 8080, hostPort: 8080, hostIp: '127.0.0.1', proto: 'tcp' },
      { guestPort: 53, hostPort: 1053, hostIp: '0.0.0.0', proto: 'udp' },
    ],
    registryMirrors: ['http://10.0.2.2:5000'],
    insecureRegistries: ['10.0.2.2:5000'],
    dns: [],
    env: { HTTP_PROXY: 'http://10.0.2.2:3128', EMPTY: '' },
    provision: ['sysctl -w vm.max_map_count=262144', 'mkdir -p /var/lib/cache\ntouch /var/lib/cache/ready\n'],
  });
});

test('an empty file, comments only, or keys without values give the defaults', (t) => {
  const defaults = defaultMachineConfig(linux);
  t.deepEqual(parseMachineConfig('', 'm.yaml', linux), defaults);
  t.deepEqual(parseMachineConfig('# nothing\n', 'm.yaml', linux), defaults);
  t.deepEqual(parseMachineConfig('---\n~\n', 'm.yaml', linux), defaults);
  t.deepEqual(parseMachineConfig(yaml('cpus:', 'mounts: null', 'memory: ~'), 'm.yaml', linux), defaults);
});

test('Windows-made files (BOM, CRLF) parse, with the right lines in errors', (t) => {
  t.is(parseMachineConfig('\uFEFFcpus: 2\r\nmemory: 1GiB\r\n', 'm.yaml', linux).memory, 1024);
  const error = t.throws(() => parseMachineConfig('\uFEFFcpus: 2\r\nmemory: 1GB\r\n', 'm.yaml', linux));
  t.regex(error?.message ?? '', /^m\.yaml:2:9: memory: /);
});

test('defaults follow the host: arch, min(cpus, 4), home and temp shared writable', (t) => {
  t.deepEqual(defaultMachineConfig(linux), {
    arch: 'x86_64',
    accel: 'auto',
    cpus: 4,
    memory: 2048,
    disk: 60,
    mounts: [
      { location: '/home/me', mountPoint: '/home/me', writable: true },
      { location: '/tmp', mountPoint: '/tmp', writable: true },
    ],
    portForwards: [],
    registryMirrors: [],
    insecureRegistries: [],
    dns: [],
    env: {},
    provision: [],
  });
  // A small host: half its memory, but never below the 512MiB minimum.
  t.is(defaultMachineConfig({ ...linux, memoryMiB: 3000 }).memory, 1500);
  t.is(defaultMachineConfig({ ...linux, memoryMiB: 700 }).memory, 512);
  const onMac = defaultMachineConfig(mac);
  t.is(onMac.arch, 'aarch64');
  t.is(onMac.cpus, 4);
  t.deepEqual(onMac.mounts.map((m) => m.mountPoint), ['/Users/me', '/var/folders/xy/abc123/T']);
  // Windows: 2 CPUs stay 2; %TEMP% lies inside the home folder, so home alone is shared.
  const onWindows = defaultMachineConfig(windows);
  t.is(onWindows.cpus, 2);
  t.deepEqual(onWindows.mounts, [{ location: 'C:\\Users\\me', mountPoint: '/c/Users/me', writable: true }]);
});

test('the real host gives a valid default config', (t) => {
  const host = currentHost();
  const config = defaultMachineConfig();
  t.is(config.arch, host.arch);
  t.true(config.cpus >= 1 && config.cpus <= 4);
  t.true(config.mounts.some((m) => m.location === os.homedir()));
  t.deepEqual(parseMachineConfig('', 'm.yaml'), config);
});

test('an explicit empty list replaces the default; a written list replaces it too', (t) => {
  t.deepEqual(parseMachineConfig('mounts: []\n', 'm.yaml', linux).mounts, []);
  t.deepEqual(parseMachineConfig('env: {}\n', 'm.yaml', linux).env, {});
  const mounts = parseMachineConfig(yaml('mounts:', '  - location: /work'), 'm.yaml', linux).mounts;
  t.deepEqual(mounts, [{ location: '/work', mountPoint: '/work', writable: true }]);
});

for (const [name, host] of Object.entries({ linux, mac, windows, real: currentHost() })) {
  test(`the reference template parses to exactly the defaults (${name} host)`, async (t) => {
    const text = await readFile(defaultTemplatePath(), 'utf8');
    t.deepEqual(parseMachineConfig(text, 'default.yaml', host), defaultMachineConfig(host));
  });
}

test('the template names every key of the machine file', async (t) => {
  const text = await readFile(defaultTemplatePath(), 'utf8');
  const keys = [...text.matchAll(/^([A-Za-z]+):/gm)].map((m) => m[1]);
  t.deepEqual(keys, Object.keys(defaultMachineConfig(linux)));
});

test('marshal writes every key explicitly and parses back to the same config', (t) => {
  const config = parseMachineConfig(
    yaml(
      'memory: 1536',
      'disk: 1TiB',
      'mounts: [{location: /srv, mountPoint: /mnt/srv, writable: false}]',
      'portForwards: [{guestPort: 80, hostPort: 8080}]',
      'env: {A: "1", B: "two words"}',
      'provision: ["echo \'hi\' > /tmp/x"]',
    ),
    'm.yaml',
    linux,
  );
  const text = formatMachineConfig(config, 'machine "dev"\nresolved');
  t.true(text.startsWith('# machine "dev"\n# resolved\narch: x86_64\n'));
  t.regex(text, /^memory: 1536MiB$/m);
  t.regex(text, /^disk: 1TiB$/m);
  t.deepEqual(parseMachineConfig(text, 'saved.yaml', linux), config);
  t.deepEqual(parseMachineConfig(formatMachineConfig(defaultMachineConfig(mac)), 'saved.yaml', mac), defaultMachineConfig(mac));
});

test('loadMachineConfig reads a file and names it in errors', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tsd-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const good = path.join(dir, 'good.yaml');
  await writeFile(good, 'cpus: 1\nmounts: []\n');
  t.like(await loadMachineConfig(good, linux), { cpus: 1, mounts: [] });
  const bad = path.join(dir, 'bad.yaml');
  await writeFile(bad, 'cpus: 1\ncpu: 2\n');
  const error = await t.throwsAsync(loadMachineConfig(bad, linux), { instanceOf: MachineFileError });
  t.is(error?.message.split(': ')[0], `${bad}:2:1`);
});

test('a missing file is not-found; a directory is invalid-argument', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tsd-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const missing = await t.throwsAsync(loadMachineConfig(path.join(dir, 'nope.yaml')));
  t.like(missing, { code: 'not-found', message: `machine file not found: ${path.join(dir, 'nope.yaml')}` });
  const directory = await t.throwsAsync(loadMachineConfig(dir));
  t.like(directory, { code: 'invalid-argument', message: `cannot read machine file ${dir}: it is a directory` });
});
