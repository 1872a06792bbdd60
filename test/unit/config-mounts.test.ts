import test from 'ava';
import { parseMachineConfig } from '../../src/config/load.js';
import { issueOf, issuesOf, linux, mac, windows, yaml } from './config-fixtures.js';

const mounts = (...entries: string[]) => yaml('mounts:', ...entries);

test('"~" expands to the home directory; mountPoint defaults to the location; writable to true', (t) => {
  const config = parseMachineConfig(mounts('  - location: "~"', '  - location: ~/../shared/', '  - location: /srv//data/'), 'm.yaml', linux);
  t.deepEqual(config.mounts, [
    { location: '/home/me', mountPoint: '/home/me', writable: true },
    { location: '/home/shared', mountPoint: '/home/shared', writable: true },
    { location: '/srv/data', mountPoint: '/srv/data', writable: true },
  ]);
});

test('Windows paths: "~\\" expands, the guest path is the Git Bash form', (t) => {
  const config = parseMachineConfig(mounts('  - location: ~\\src', '  - location: D:\\data', '    writable: false'), 'm.yaml', windows);
  t.deepEqual(config.mounts, [
    { location: 'C:\\Users\\me\\src', mountPoint: '/c/Users/me/src', writable: true },
    { location: 'D:\\data', mountPoint: '/d/data', writable: false },
  ]);
  t.like(issueOf(t, mounts('  - location: \\data'), windows), {
    path: 'mounts[0].location',
    message: '"\\\\data" is not an absolute path; write a full path such as "C:\\\\Users\\\\me\\\\src", or one starting with "~/"',
  });
});

test('locations must be absolute after expansion', (t) => {
  t.like(issueOf(t, mounts('  - location: src')), {
    path: 'mounts[0].location',
    position: { line: 2, column: 15 },
    message: '"src" is not an absolute path; write a full path such as "/home/me/src", or one starting with "~/"',
  });
  t.like(issueOf(t, mounts('  - location: ~other/src')), {
    path: 'mounts[0].location',
    message: '"~other/src" is not an absolute path; write a full path such as "/home/me/src", or one starting with "~/"',
  });
});

test('duplicate and nested host folders are rejected, naming both entries', (t) => {
  t.like(issueOf(t, mounts('  - location: ~/src', '  - location: /home/me/src/')), {
    path: 'mounts[1].location',
    position: { line: 3, column: 15 },
    message: '"/home/me/src" is already shared by mounts[0].location; shares may not overlap: remove one, or share the outer folder only',
  });
  t.like(issueOf(t, mounts('  - location: ~/src/app', '  - location: ~/src', '    mountPoint: /src')), {
    path: 'mounts[1].location',
    message: '"/home/me/src" contains mounts[0].location ("/home/me/src/app"); shares may not overlap: remove one, or share the outer folder only',
  });
  t.like(issueOf(t, mounts('  - location: /srv', '  - location: /srv/a', '    mountPoint: /a')), {
    path: 'mounts[1].location',
    message: '"/srv/a" lies inside mounts[0].location ("/srv"); shares may not overlap: remove one, or share the outer folder only',
  });
  // Siblings with a common prefix do not overlap.
  t.is(parseMachineConfig(mounts('  - location: /srv/a', '  - location: /srv/ab'), 'm.yaml', linux).mounts.length, 2);
});

test('on macOS and Windows, paths differing only in case are the same folder', (t) => {
  t.like(issueOf(t, mounts('  - location: /Users/me/Src', '  - location: /users/me/src', '    mountPoint: /x'), mac), {
    path: 'mounts[1].location',
    message: '"/users/me/src" is already shared by mounts[0].location; shares may not overlap: remove one, or share the outer folder only',
  });
  t.is(parseMachineConfig(mounts('  - location: /srv/Src', '  - location: /srv/src'), 'm.yaml', linux).mounts.length, 2);
});

test('guest mount points must be absolute, distinct and clear of the guest system folders', (t) => {
  t.like(issueOf(t, mounts('  - location: /srv', '    mountPoint: srv')), {
    path: 'mounts[0].mountPoint',
    position: { line: 3, column: 17 },
    message: '"srv" is not an absolute guest path; write one starting with "/", such as "/src"',
  });
  t.like(issueOf(t, mounts('  - location: /srv', '    mountPoint: /var')), {
    message: '"/var" would hide the guest\'s /var/lib; choose another guest path, such as "/mnt/var"',
  });
  t.like(issueOf(t, mounts('  - location: /srv', '    mountPoint: /')), {
    message: '"/" would hide the guest\'s /bin; choose another guest path, such as "/mnt/host"',
  });
  t.like(issueOf(t, mounts('  - location: /srv', '    mountPoint: /etc')), {
    message: '"/etc" would replace the guest\'s /etc; choose another guest path, such as "/mnt/etc"',
  });
  t.like(issueOf(t, mounts('  - location: /srv', '    mountPoint: /var/lib/docker')), {
    message: '"/var/lib/docker" would sit inside the guest\'s /var/lib; choose another guest path, such as "/mnt/var/lib/docker"',
  });
  t.like(issueOf(t, mounts('  - location: /a', '    mountPoint: /data', '  - location: /b', '    mountPoint: /data/b')), {
    path: 'mounts[1].mountPoint',
    message: '"/data/b" lies inside mounts[0].mountPoint ("/data"); shares may not overlap: remove one, or share the outer folder only',
  });
  // /var/folders (macOS temp) and /lib64x are fine: only whole path components count.
  t.is(parseMachineConfig(mounts('  - location: /var/folders/x', '  - location: /lib64x'), 'm.yaml', linux).mounts.length, 2);
});

test('default shares never make a machine invalid', (t) => {
  const rootHome = { ...linux, homeDir: '/' };
  t.deepEqual(parseMachineConfig('', 'm.yaml', rootHome).mounts, [{ location: '/tmp', mountPoint: '/tmp', writable: true }]);
  const jenkins = { ...linux, homeDir: '/var/lib/jenkins' };
  t.deepEqual(parseMachineConfig('', 'm.yaml', jenkins).mounts.map((m) => m.location), ['/tmp']);
  const tmpInHome = { ...linux, tempDir: '/home/me/tmp' };
  t.deepEqual(parseMachineConfig('', 'm.yaml', tmpInHome).mounts.map((m) => m.location), ['/home/me']);
});

test('several mount problems are reported together', (t) => {
  const issues = issuesOf(t, mounts('  - location: rel', '  - location: /srv', '    mountPoint: /proc/x', '    writable: false'));
  t.deepEqual(issues.map((i) => i.path), ['mounts[0].location', 'mounts[1].mountPoint']);
});
