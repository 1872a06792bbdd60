import test from 'ava';
import { parseMachineConfig } from '../../src/config/load.js';
import { issueOf, issuesOf, linux, yaml } from './config-fixtures.js';

test('port forwards: hostPort defaults to guestPort, hostIp to 127.0.0.1, proto to tcp', (t) => {
  const config = parseMachineConfig(yaml('portForwards:', '  - guestPort: 80', '  - {guestPort: 80, proto: udp}', '  - {guestPort: 443, hostPort: 8443, hostIp: "::1"}'), 'm.yaml', linux);
  t.deepEqual(config.portForwards, [
    { guestPort: 80, hostPort: 80, hostIp: '127.0.0.1', proto: 'tcp' },
    { guestPort: 80, hostPort: 80, hostIp: '127.0.0.1', proto: 'udp' },
    { guestPort: 443, hostPort: 8443, hostIp: '::1', proto: 'tcp' },
  ]);
});

test('ports must be 1-65535', (t) => {
  t.like(issueOf(t, yaml('portForwards:', '  - guestPort: 0')), {
    path: 'portForwards[0].guestPort',
    position: { line: 2, column: 16 },
    message: 'expected a port from 1 to 65535, found 0',
  });
  const issues = issuesOf(t, yaml('portForwards:', '  - guestPort: 80', '    hostPort: 70000'));
  t.deepEqual(issues.map((i) => [i.path, i.position?.line, i.message]), [['portForwards[0].hostPort', 3, 'expected a port from 1 to 65535, found 70000']]);
  t.like(issueOf(t, yaml('portForwards:', '  - guestPort: "80"')), { path: 'portForwards[0].guestPort', message: 'expected a whole number, found the string "80"' });
});

test('hostIp must be an IP address', (t) => {
  t.like(issueOf(t, yaml('portForwards:', '  - {guestPort: 80, hostIp: localhost}')), {
    path: 'portForwards[0].hostIp',
    message: '"localhost" is not an IP address; use "127.0.0.1" (this host only, the default) or "0.0.0.0" (all interfaces)',
  });
});

test('two forwards on the same host socket are rejected; 0.0.0.0 covers every address', (t) => {
  t.like(issueOf(t, yaml('portForwards:', '  - guestPort: 80', '  - {guestPort: 81, hostPort: 80}')), {
    path: 'portForwards[1].hostPort',
    position: { line: 3, column: 31 },
    message: 'host port 80/tcp on 127.0.0.1 is already forwarded by portForwards[0]; choose another hostPort',
  });
  t.like(issueOf(t, yaml('portForwards:', '  - {guestPort: 80, hostIp: 127.0.0.1}', '  - {guestPort: 80, hostIp: 0.0.0.0}')), {
    path: 'portForwards[1].hostPort',
  });
  const separate = yaml('portForwards:', '  - {guestPort: 80, hostIp: 127.0.0.1}', '  - {guestPort: 80, hostIp: 127.0.0.2}', '  - {guestPort: 80, proto: udp}');
  t.is(parseMachineConfig(separate, 'm.yaml', linux).portForwards.length, 3);
});

test('registry mirrors follow dockerd: http(s) URLs without credentials, query or fragment', (t) => {
  const ok = parseMachineConfig('registryMirrors: ["https://mirror.gcr.io", "http://10.0.2.2:5000/", "https://m.example/v2-cache"]\n', 'm.yaml', linux);
  t.is(ok.registryMirrors.length, 3);
  const issues = issuesOf(
    t,
    yaml('registryMirrors:', '  - mirror.gcr.io', '  - ftp://mirror', '  - https://user:pw@mirror', '  - https://mirror/?x=1'),
  );
  t.deepEqual(
    issues.map((i) => [i.path, i.position?.line, i.message]),
    [
      ['registryMirrors[0]', 2, 'expected an http:// or https:// URL such as "https://mirror.example.com" or "http://10.0.2.2:5000", found "mirror.gcr.io"'],
      ['registryMirrors[1]', 3, 'expected an http:// or https:// URL such as "https://mirror.example.com" or "http://10.0.2.2:5000", found the scheme "ftp"'],
      ['registryMirrors[2]', 4, '"https://user:pw@mirror" contains credentials, which dockerd refuses in mirror URLs'],
      ['registryMirrors[3]', 5, '"https://mirror/?x=1" has a query or fragment, which dockerd refuses in mirror URLs'],
    ],
  );
});

test('insecure registries: host, host:port, [v6]:port or CIDR, never a URL', (t) => {
  const good = ['localhost:5000', '10.0.2.2:5000', 'registry.local', '[::1]:5000', '10.0.0.0/8', 'fd00::/8'];
  t.deepEqual(parseMachineConfig(`insecureRegistries: ${JSON.stringify(good)}\n`, 'm.yaml', linux).insecureRegistries, good);
  t.like(issueOf(t, 'insecureRegistries: ["http://localhost:5000/v2/"]\n'), {
    path: 'insecureRegistries[0]',
    message: '"http://localhost:5000/v2/" has a scheme; write host:port only, such as "localhost:5000"',
  });
  for (const bad of ['localhost:99999', 'a b', '10.0.0.0/33', '[zz]:1', 'host:']) {
    t.like(issueOf(t, `insecureRegistries: [${JSON.stringify(bad)}]\n`), {
      path: 'insecureRegistries[0]',
      message: `expected host:port such as "localhost:5000" or "10.0.2.2:5000" (or a CIDR such as "10.0.0.0/8"), found ${JSON.stringify(bad)}`,
    });
  }
});
