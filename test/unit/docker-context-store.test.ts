import test from 'ava';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { contextMeta, contextPaths, dockerConfigDir, dockerContextName, dockerEndpoint } from '../../src/docker-context/context-store.js';

test('context names are tsd-<machine>, within the docker CLI rules', (t) => {
  t.is(dockerContextName('default'), 'tsd-default');
  t.is(dockerContextName('dev_1.x+y-z'), 'tsd-dev_1.x+y-z');
  for (const bad of ['', 'a b', 'a/b', 'é', '-x', '.x']) {
    t.like(t.throws(() => dockerContextName(bad)), { code: 'invalid-argument' });
  }
});

test('the store is keyed by the sha256 of the context name', (t) => {
  const id = createHash('sha256').update('tsd-dev').digest('hex');
  t.deepEqual(contextPaths('/cfg', 'tsd-dev'), {
    metaDir: path.join('/cfg/contexts/meta', id),
    metaFile: path.join('/cfg/contexts/meta', id, 'meta.json'),
    tlsDir: path.join('/cfg/contexts/tls', id),
  });
});

test('endpoints: unix sockets and Windows named pipes', (t) => {
  t.is(dockerEndpoint('/home/me/.tsd/machines/dev/docker.sock'), 'unix:///home/me/.tsd/machines/dev/docker.sock');
  t.is(dockerEndpoint('\\\\.\\pipe\\tsd-dev'), 'npipe:////./pipe/tsd-dev');
  t.is(dockerEndpoint('//./pipe/tsd-dev'), 'npipe:////./pipe/tsd-dev');
  t.like(t.throws(() => dockerEndpoint('docker.sock')), { code: 'invalid-argument' });
});

test('DOCKER_CONFIG wins over ~/.docker', (t) => {
  t.is(dockerConfigDir({ DOCKER_CONFIG: '/etc/dc' }, '/home/me'), '/etc/dc');
  t.is(dockerConfigDir({}, '/home/me'), path.join('/home/me', '.docker'));
  t.is(dockerConfigDir({ DOCKER_CONFIG: '' }, '/home/me'), path.join('/home/me', '.docker'));
});

test('meta.json has the shape docker context create writes', (t) => {
  t.is(
    JSON.stringify(contextMeta('tsd-dev', 'dev', 'unix:///s.sock')),
    '{"Name":"tsd-dev","Metadata":{"Description":"tsd machine dev"},"Endpoints":{"docker":{"Host":"unix:///s.sock","SkipTLSVerify":false}}}',
  );
});
