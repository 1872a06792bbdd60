// System endpoints of the host-mode engine: info counts, system df, docker login (Basic and the
// Bearer token flow against real registries), all with the real docker CLI.
import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { startHostEngine, type HostEngine } from '../helpers/host-engine.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { startTokenService, type RunningTokenService } from '../helpers/token-service.js';

let fixtures: FixtureRegistry;
let engine: HostEngine;
let tokenService: RunningTokenService;
let tokenRegistry: RunningRegistry;
let basicRegistry: RunningRegistry;

test.before(async () => {
  fixtures = await startFixtureRegistry({ nginx: false });
  tokenService = await startTokenService({ users: { alice: 'wonderland' }, anonymousActions: [] });
  tokenRegistry = await startRegistry({ auth: tokenService.registryAuth });
  basicRegistry = await startRegistry({ auth: { kind: 'basic', users: { bob: 'builder' } } });
  engine = await startHostEngine({ daemonJson: { 'registry-mirrors': [`http://${fixtures.host}`], 'docker-hub-origin': false } });
});

test.after.always(async () => {
  await engine?.stop();
  await Promise.all([fixtures?.stop(), tokenRegistry?.stop(), basicRegistry?.stop(), tokenService?.stop()]);
});

interface Info {
  Images: number;
  Containers: number;
  DockerRootDir: string;
  RegistryConfig: { Mirrors: string[] };
  Warnings: string[];
}

test.serial('docker info counts the images containerd holds', async (t) => {
  const before = JSON.parse(await engine.dockerOk('info', '--format', '{{json .}}')) as Info;
  t.is(before.Images, 0);
  t.is(before.Containers, 0);
  t.deepEqual(before.Warnings, []);
  t.deepEqual(before.RegistryConfig.Mirrors, [`http://${fixtures.host}`]);
  await engine.dockerOk('pull', 'busybox');
  await engine.dockerOk('pull', 'busybox-list');
  await engine.dockerOk('tag', 'busybox', 'another/name:1');
  const after = JSON.parse(await engine.dockerOk('info', '--format', '{{json .}}')) as Info;
  // busybox-list's amd64 manifest is busybox itself (same config): one image; another/name too.
  t.is(after.Images, 1);
  t.true(after.DockerRootDir.startsWith(engine.dir));
  t.is((after as Info & { Driver: string }).Driver, 'overlayfs');
  // docker version lists containerd as a component, with the version containerd reports.
  const components = JSON.parse(await engine.dockerOk('version', '--format', '{{json .Server.Components}}')) as Array<{ Name: string; Version: string }>;
  t.deepEqual(components.map((c) => c.Name), ['Engine', 'containerd']);
  t.regex(components[1]!.Version, /\d/);
});

test.serial('docker system df reports the images with their real size', async (t) => {
  const df = await engine.api('GET', '/system/df');
  t.is(df.status, 200);
  const body = df.json<{ LayersSize: number; Images: Array<{ Id: string; Size: number; RepoTags: string[] }>; Containers: unknown[]; Volumes: unknown[]; BuildCache: unknown[] }>();
  t.is(body.Images.length, 1);
  t.true(body.LayersSize > 1_000_000);
  t.is(body.Images[0]!.Size, body.LayersSize);
  t.deepEqual(body.Images[0]!.RepoTags, ['another/name:1', 'busybox-list:latest', 'busybox:latest']);
  const cli = await engine.dockerOk('system', 'df', '--format', '{{.Type}} {{.TotalCount}}');
  t.regex(cli, /^Images 1$/m);
  const bad = await engine.api('GET', '/system/df?type=bogus');
  t.is(bad.status, 400);
  // No builder, so no build cache: prune says so.
  const buildPrune = await engine.api('POST', '/build/prune');
  t.deepEqual(buildPrune.json(), { CachesDeleted: null, SpaceReclaimed: 0 });
});

test.serial('docker login checks credentials through the Bearer token flow', async (t) => {
  const ok = await engine.docker('login', tokenRegistry.host, '-u', 'alice', '-p', 'wonderland');
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /Login Succeeded/);
  t.true(tokenService.requests.some((r) => r.account === 'alice'));
  const wrong = await engine.docker('login', tokenRegistry.host, '-u', 'alice', '-p', 'nope');
  t.not(wrong.code, 0);
  t.regex(wrong.stderr, /unauthorized/);
});

test.serial('docker login with Basic auth; push and pull then carry the stored credentials', async (t) => {
  const wrong = await engine.api('POST', '/auth', { body: { username: 'bob', password: 'wrong', serveraddress: basicRegistry.host } });
  t.is(wrong.status, 401);
  t.regex(wrong.json<{ message: string }>().message, /401/);
  const ok = await engine.docker('login', basicRegistry.host, '-u', 'bob', '-p', 'builder');
  t.is(ok.code, 0, ok.stderr);
  const target = `${basicRegistry.host}/private/busybox:1`;
  await engine.dockerOk('tag', 'busybox', target);
  const pushed = await engine.docker('push', target);
  t.is(pushed.code, 0, pushed.stderr);
  await engine.dockerOk('rmi', target);
  const pulled = await engine.docker('pull', target);
  t.is(pulled.code, 0, pulled.stderr);
  await engine.dockerOk('logout', basicRegistry.host);
  await engine.dockerOk('rmi', target);
  const anonymous = await engine.docker('pull', target);
  t.not(anonymous.code, 0);
});

test.serial('a kill -9 of dockerd: the launcher starts it again and the images are still there (they live in containerd)', async (t) => {
  const before = await engine.pid('dockerd');
  await engine.crash('dockerd');
  t.not(await engine.pid('dockerd'), before);
  const images = (await engine.dockerOk('images', '--format', '{{.Repository}}:{{.Tag}}')).trim().split('\n').sort();
  t.deepEqual(images, ['another/name:1', 'busybox-list:latest', 'busybox:latest']);
  // A graceful restart of dockerd alone (SIGTERM) is a restart too.
  await engine.crash('dockerd', 'SIGTERM');
  // And containerd crashing: dockerd's client reconnects to the new one.
  await engine.crash('containerd');
  t.is((await engine.dockerOk('image', 'inspect', '--format', '{{.RepoTags}}', 'busybox')).trim(), '[another/name:1 busybox-list:latest busybox:latest]');
});

test.serial('SIGHUP reloads daemon.json: mirrors change at once, a setting that needs a restart is refused', async (t) => {
  const file = join(engine.dir, 'engine', 'daemon.json');
  const original = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  const mirrors = [`http://${fixtures.host}`, 'http://127.0.0.1:9'];
  await writeFile(file, JSON.stringify({ ...original, 'registry-mirrors': mirrors }));
  process.kill(await engine.pid('dockerd'), 'SIGHUP');
  let info = { RegistryConfig: { Mirrors: [] as string[] } };
  for (let i = 0; i < 100 && info.RegistryConfig.Mirrors.length !== 2; i++) {
    info = JSON.parse(await engine.dockerOk('info', '--format', '{{json .}}')) as typeof info;
    if (info.RegistryConfig.Mirrors.length !== 2) await new Promise((r) => setTimeout(r, 100));
  }
  t.deepEqual(info.RegistryConfig.Mirrors, mirrors);
  const reloads = await engine.dockerOk('events', '--since', '0', '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'type=daemon', '--format', '{{.Action}}');
  t.is(reloads.trim(), 'reload');
  await writeFile(file, JSON.stringify({ ...original, bip: '10.99.99.1/24' }));
  process.kill(await engine.pid('dockerd'), 'SIGHUP');
  for (let i = 0; i < 100 && !engine.log().includes('reload failed'); i++) await new Promise((r) => setTimeout(r, 100));
  t.regex(engine.log(), /reload failed, configuration unchanged: cannot reload bip: a restart is needed/);
  const after = JSON.parse(await engine.dockerOk('info', '--format', '{{json .}}')) as typeof info;
  t.deepEqual(after.RegistryConfig.Mirrors, mirrors);
  await writeFile(file, JSON.stringify(original));
});

test.serial('bad /auth bodies are 400 with Docker\'s wording', async (t) => {
  const malformed = await engine.api('POST', '/auth', { body: '{"username": ' });
  t.is(malformed.status, 400);
  t.regex(malformed.json<{ message: string }>().message, /^invalid JSON: /);
  const wrongType = await engine.api('POST', '/auth', { body: { username: 42 } });
  t.is(wrongType.status, 400);
  t.is(wrongType.json<{ message: string }>().message, 'invalid JSON: json: cannot unmarshal number into Go struct field registry.AuthConfig.username of type string');
  const empty = await engine.api('POST', '/auth', { body: '' , headers: { 'content-type': 'application/json' } });
  t.is(empty.status, 400);
  t.is(empty.json<{ message: string }>().message, 'invalid JSON: got EOF while reading request body');
  const textType = await engine.api('POST', '/auth', { body: 'x', headers: { 'content-type': 'text/plain' } });
  t.is(textType.status, 400);
  t.regex(textType.json<{ message: string }>().message, /unsupported Content-Type header \(text\/plain\): must be 'application\/json'/);
});
