import test from 'ava';
import { parseMachineConfig } from '../../src/config/load.js';
import { MachineFileError } from '../../src/config/source.js';
import { issueOf, issuesOf, linux, yaml } from './config-fixtures.js';

test('the message names file, line, column and key path, and what would be valid', (t) => {
  const text = yaml('cpus: 2', 'mounts:', '  - location: ~/src', '    writable: yes');
  const error = t.throws(() => parseMachineConfig(text, 'dev.yaml', linux), { instanceOf: MachineFileError });
  t.is(error?.code, 'invalid-argument');
  t.is(error?.message, 'dev.yaml:4:15: mounts[0].writable: expected true or false, found the string "yes"');
  t.deepEqual(error?.issues, [
    { path: 'mounts[0].writable', message: 'expected true or false, found the string "yes"', position: { line: 4, column: 15 } },
  ]);
});

test('unknown keys are errors with the nearest valid key', (t) => {
  const top = issueOf(t, yaml('cpus: 2', 'memroy: 4GiB'));
  t.like(top, { path: 'memroy', position: { line: 2, column: 1 } });
  t.regex(top.message, /^unknown key; did you mean "memory"\? valid keys: arch, accel, cpus, memory, disk, mounts, /);
  t.regex(issueOf(t, 'cpu: 2\n').message, /did you mean "cpus"/);
  t.regex(issueOf(t, 'mem: 2048\n').message, /did you mean "memory"/);
  t.regex(issueOf(t, 'registry_mirrors: []\n').message, /did you mean "registryMirrors"/);
  const dashed = issueOf(t, 'port-forwards: []\n');
  t.is(dashed.path, 'port-forwards');
  t.regex(dashed.message, /did you mean "portForwards"/);
  const nested = issueOf(t, yaml('mounts:', '  - location: /srv', '    writeable: true'));
  t.like(nested, { path: 'mounts[0].writeable', position: { line: 3, column: 5 } });
  t.is(nested.message, 'unknown key; did you mean "writable"? valid keys here: location, mountPoint, writable');
  t.regex(issueOf(t, yaml('portForwards:', '  - {guestPort: 80, hostport: 8080}')).message, /did you mean "hostPort"/);
  // Nothing close: no guess, still the list of valid keys.
  t.is(
    issueOf(t, 'kubernetes: true\n').message,
    'unknown key; valid keys: arch, accel, cpus, memory, disk, mounts, portForwards, registryMirrors, insecureRegistries, dns, env, provision',
  );
});

test('YAML syntax errors name the file and line', (t) => {
  const error = t.throws(() => parseMachineConfig(yaml('cpus: 2', 'memory: [1, 2', 'disk: 3'), 'bad.yaml', linux), {
    instanceOf: MachineFileError,
  });
  t.regex(error?.message ?? '', /^bad\.yaml:\d+:\d+: invalid YAML: /);
  const tabs = issueOf(t, yaml('mounts:', '\t- location: /srv'));
  t.like(tabs, { path: '', position: { line: 2, column: 1 } });
  t.regex(tabs.message, /^invalid YAML: /);
  const duplicate = issueOf(t, yaml('cpus: 2', 'cpus: 3'));
  t.like(duplicate, { position: { line: 2, column: 1 } });
  t.regex(duplicate.message, /^invalid YAML: Map keys must be unique/);
});

test('the file must be a mapping', (t) => {
  t.like(issueOf(t, yaml('- cpus: 2')), { path: '', message: 'expected a mapping of keys such as "cpus: 2", found a list' });
  t.like(issueOf(t, 'just text\n'), { message: 'expected a mapping of keys such as "cpus: 2", found the string "just text"' });
});

test('type errors say what was found and what is expected', (t) => {
  t.like(issueOf(t, 'cpus: two\n'), { path: 'cpus', message: 'expected a whole number, found the string "two"' });
  t.like(issueOf(t, 'cpus: 1.5\n'), { path: 'cpus', message: 'expected a whole number, found the number 1.5' });
  t.like(issueOf(t, 'mounts: /srv\n'), { path: 'mounts', message: 'expected a list of mounts, found the string "/srv"' });
  t.like(issueOf(t, yaml('mounts:', '  - /srv')), {
    path: 'mounts[0]',
    message: 'expected a mount such as {location: "~/src", writable: true}, found the string "/srv"',
    position: { line: 2, column: 5 },
  });
  t.like(issueOf(t, yaml('mounts:', '  - writable: true')), {
    path: 'mounts[0]',
    message: 'missing "location" (the host folder to share, e.g. "~/src")',
  });
  t.like(issueOf(t, yaml('mounts:', '  -')), {
    path: 'mounts[0]',
    message: 'expected a mount such as {location: "~/src", writable: true}, found nothing (null)',
  });
  t.like(issueOf(t, 'provision: echo hi\n'), { path: 'provision', message: 'expected a list of shell commands, found the string "echo hi"' });
  t.like(issueOf(t, 'provision: [[echo, hi]]\n'), { path: 'provision[0]', message: 'expected a string, found a list' });
  t.like(issueOf(t, 'registryMirrors: https://mirror.example.com\n'), {
    path: 'registryMirrors',
    message: 'expected a list of URLs, found the string "https://mirror.example.com"',
  });
});

test('enumerations list their valid values and guess the intended one', (t) => {
  t.like(issueOf(t, 'arch: arm64\n'), {
    path: 'arch',
    message: '"arm64" is not a valid architecture; did you mean "aarch64"? valid values: "x86_64" or "aarch64"',
    position: { line: 1, column: 7 },
  });
  t.regex(issueOf(t, 'arch: amd64\n').message, /did you mean "x86_64"/);
  t.like(issueOf(t, 'accel: kvmm\n'), {
    message: '"kvmm" is not a valid accelerator; did you mean "kvm"? valid values: "auto", "hvf", "whpx", "kvm" or "tcg"',
  });
  t.like(issueOf(t, 'accel: 3\n'), {
    message: 'the number 3 is not a valid accelerator; valid values: "auto", "hvf", "whpx", "kvm" or "tcg"',
  });
  t.like(issueOf(t, yaml('portForwards:', '  - {guestPort: 53, proto: UDP}')), {
    path: 'portForwards[0].proto',
    message: '"UDP" is not a valid protocol; did you mean "udp"? valid values: "tcp" or "udp"',
  });
});

test('env: valid names and string values, with a hint to quote numbers', (t) => {
  const issues = issuesOf(t, yaml('env:', '  DEBUG: 1', '  VERBOSE: true', '  EMPTY:', '  LIST: [a]'));
  t.deepEqual(
    issues.map((i) => [i.path, i.position?.line, i.message]),
    [
      ['env.DEBUG', 2, 'expected a string, found the number 1; quote it: DEBUG: "1"'],
      ['env.VERBOSE', 3, 'expected a string, found true; quote it: VERBOSE: "true"'],
      ['env.EMPTY', 4, 'expected a string, found nothing (null); write EMPTY: "" for an empty value'],
      ['env.LIST', 5, 'expected a string, found a list'],
    ],
  );
  t.like(issueOf(t, yaml('env:', '  OK_1: a', '  MY-VAR: b')), {
    path: 'env["MY-VAR"]',
    position: { line: 3, column: 3 },
    message: '"MY-VAR" is not a valid variable name; use letters, digits and "_", not starting with a digit',
  });
  t.like(issueOf(t, yaml('env:', '  1ST: a')), { path: 'env["1ST"]' });
  t.like(issueOf(t, 'env: [A=1]\n'), {
    path: 'env',
    message: 'expected a mapping of variable names to values, such as {HTTP_PROXY: "…"}, found a list',
  });
  t.like(issueOf(t, yaml('env:', '  [A]: b')), { path: 'env', message: 'keys must be plain names, found a list', position: { line: 2, column: 3 } });
});

test('provision commands must not be empty', (t) => {
  t.like(issueOf(t, yaml('provision:', '  - echo ok', '  - "  "')), {
    path: 'provision[1]',
    position: { line: 3, column: 5 },
    message: 'empty command; remove the entry or write a shell command',
  });
});

test('resource limits: cpus, memory, disk', (t) => {
  t.like(issueOf(t, 'cpus: 0\n'), { path: 'cpus', message: 'expected a whole number from 1 to 255, found 0' });
  t.like(issueOf(t, 'cpus: 256\n'), { path: 'cpus', message: 'expected a whole number from 1 to 255, found 256' });
  t.like(issueOf(t, 'memory: 4\n'), {
    path: 'memory',
    message: '4 MiB is below the minimum of 512MiB; a bare number is MiB: for 4 GiB write "4GiB"',
  });
  t.like(issueOf(t, 'memory: 256MiB\n'), { message: '256 MiB is below the minimum of 512MiB' });
  t.like(issueOf(t, 'memory: 64GiB\n'), { message: "64GiB is more than this host's memory (16GiB)" });
  t.like(issueOf(t, 'disk: 0\n'), { path: 'disk', message: 'expected a size from 1GiB to 64TiB, found 0 GiB' });
  t.like(issueOf(t, 'disk: 100TiB\n'), { path: 'disk', message: 'expected a size from 1GiB to 64TiB, found 102400 GiB' });
  t.like(issueOf(t, 'disk: 512MiB\n'), { path: 'disk', message: '"512MiB" is not a whole number of GiB' });
  t.like(issueOf(t, 'memory: 4GB\n'), { path: 'memory', message: '"4GB" uses a decimal unit; write "4GiB" (units: MiB, GiB, TiB)' });
});

test('all problems of a file are reported at once, in file order', (t) => {
  const issues = issuesOf(t, yaml('accel: hvf', 'cpus: 0', 'insecureRegistries: ["http://x:5000"]', 'memory: 100'));
  t.deepEqual(
    issues.map((i) => `${i.position?.line}:${i.path}`),
    ['1:accel', '2:cpus', '3:insecureRegistries[0]', '4:memory'],
  );
  const error = t.throws(() => parseMachineConfig(yaml('cpus: 0', 'memory: 100'), 'two.yaml', linux));
  t.deepEqual(error?.message.split('\n').map((line) => line.split(': ')[0]), ['two.yaml:1:7', 'two.yaml:2:9']);
});

test('a problem with a default value has no line, and comes last', (t) => {
  const tiny = { ...linux, memoryMiB: 400 };
  const error = t.throws(() => parseMachineConfig('cpus: 0\n', 'tiny.yaml', tiny));
  t.is(error?.message, "tiny.yaml:1:7: cpus: expected a whole number from 1 to 255, found 0\ntiny.yaml: memory: 512MiB is more than this host's memory (400MiB)");
});

test('aliases are followed, and errors point at the alias', (t) => {
  const config = parseMachineConfig(yaml('registryMirrors: &m [http://10.0.2.2:5000]', 'insecureRegistries: []', 'provision: []'), 'a.yaml', linux);
  t.deepEqual(config.registryMirrors, ['http://10.0.2.2:5000']);
  t.like(issueOf(t, yaml('env: &e {A: b}', 'mounts: *e')), { path: 'mounts', position: { line: 2, column: 9 } });
});
