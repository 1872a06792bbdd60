// Container options checked by their effect in real containers on the tsd stack, with the real
// docker CLI: logs --details (log-opt labels/env/tag), --volumes-from, --device, detach keys.
import test from 'ava';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { startContainersEngine, type ContainersEngine } from './dockerd-containers-harness.js';

let fixtures: FixtureRegistry;
let engine: ContainersEngine;

test.before(async () => {
  fixtures = await startFixtureRegistry({ nginx: false });
  engine = await startContainersEngine({ registry: fixtures.host });
  await engine.dockerOk('pull', 'busybox');
});

test.after.always(async () => {
  await engine?.stop();
  await fixtures?.stop();
});

test.serial('logs --details shows the attributes the log options pick (labels, env, tag), sorted and escaped', async (t) => {
  await engine.dockerOk(
    'run', '--name', 'detailed', '--label', 'app=web', '--label', 'other=x', '-e', 'MODE=prod', '-e', 'NOTE=a b', '-e', 'SKIP=1',
    '--log-opt', 'labels=app', '--log-opt', 'env=MODE,NOTE', '--log-opt', 'tag={{.Name}}', 'busybox', 'echo', 'hello',
  );
  t.is(await engine.dockerOk('logs', '--details', 'detailed'), 'MODE=prod,NOTE=a+b,app=web,tag=detailed hello\n');
  t.is(await engine.dockerOk('logs', 'detailed'), 'hello\n');
  t.regex(await engine.dockerOk('logs', '--details', '--timestamps', 'detailed'), /^\d{4}-\d\d-\d\dT[\d:.]+Z MODE=prod,NOTE=a\+b,app=web,tag=detailed hello\n$/);
  await engine.dockerOk('run', '--name', 'regexes', '--label', 'com.x.a=1', '--label', 'com.x.b=2', '--label', 'org.y=3', '-e', 'K_ONE=1', '--log-opt', 'labels-regex=^com\\.x\\.', '--log-opt', 'env-regex=^K_', 'busybox', 'echo', 'r');
  t.is(await engine.dockerOk('logs', '--details', 'regexes'), 'K_ONE=1,com.x.a=1,com.x.b=2 r\n');
  // No attributes: Docker still puts the separating space before the line.
  await engine.dockerOk('run', '--name', 'plain', 'busybox', 'echo', 'hi');
  t.is(await engine.dockerOk('logs', '--details', 'plain'), ' hi\n');
  const bad = await engine.docker('run', '--rm', '--log-opt', 'colour=blue', 'busybox', 'true');
  t.is(bad.code, 125);
  t.regex(bad.stderr, /unknown log opt 'colour' for json-file log driver/);
  const raw = await engine.api('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: { LogConfig: { Type: 'json-file', Config: { 'env-regex': '(' } } } } });
  t.is(raw.status, 400);
  t.regex(raw.json<{ message: string }>().message, /error parsing regexp/);
  await engine.dockerOk('rm', 'detailed', 'regexes', 'plain');
});
