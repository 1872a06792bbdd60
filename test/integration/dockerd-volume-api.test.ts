/**
 * /volumes through the real docker CLI against the engine server: create (named, anonymous,
 * labels, idempotent), ls with filters, inspect, rm (404, 409 in use), prune (anonymous only by
 * default, --all), and the mounts the container module asks for (data under _data, refs).
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineContext } from '../../guest/dockerd/engine-context.js';
import type { RunningEngine } from '../../guest/dockerd/engine-server.js';
import type { VolumeMountsImpl } from '../../guest/dockerd/volumes/volume-routes.js';
import { startBareEngine, type EngineServerFixture } from '../helpers/engine-server-fixture.js';

const tag = randomBytes(3).toString('hex');

let server: EngineServerFixture;
let dir: string;
let engine: RunningEngine;

test.before(async () => {
  server = await startBareEngine({ prefix: 'tsdh5-vol-', bridge: `tsdh5v${tag}`, pool: '10.196.0.0/16' });
  ({ dir, engine } = server);
});

test.after.always(async () => {
  await server?.stop();
});

const docker = (...args: string[]): Promise<{ stdout: string; stderr: string }> => server.docker(...args);
const dockerFails = (...args: string[]): Promise<string> => server.dockerFails(...args);
const postJson = (path: string, body: string): Promise<{ status: number; body: string }> => server.raw('POST', path, body);

function mounts(): VolumeMountsImpl {
  return (engine.context as EngineContext & { volumeMounts: VolumeMountsImpl }).volumeMounts;
}

test.serial('create, inspect, ls with filters, idempotent create, rm and its errors', async (t) => {
  const name = `data-${tag}`;
  t.is((await docker('volume', 'create', '--label', 'app=h5', name)).stdout.trim(), name);
  t.is((await docker('volume', 'create', name)).stdout.trim(), name, 'creating an existing volume returns it');
  const [volume] = JSON.parse((await docker('volume', 'inspect', name)).stdout) as [{ Name: string; Driver: string; Mountpoint: string; Labels: Record<string, string>; Scope: string }];
  t.is(volume.Driver, 'local');
  t.is(volume.Scope, 'local');
  t.deepEqual(volume.Labels, { app: 'h5' });
  t.is(volume.Mountpoint, join(dir, 'root', 'volumes', name, '_data'));
  t.true((await stat(volume.Mountpoint)).isDirectory());

  const anonymous = (await docker('volume', 'create')).stdout.trim();
  t.regex(anonymous, /^[0-9a-f]{64}$/);
  t.is((await docker('volume', 'ls', '--filter', 'label=app=h5', '--format', '{{.Name}}')).stdout.trim(), name);
  t.is((await docker('volume', 'ls', '--filter', `name=${tag}`, '-q')).stdout.trim(), name);
  t.deepEqual((await docker('volume', 'ls', '-q')).stdout.trim().split('\n').sort(), [anonymous, name].sort());

  t.regex(await dockerFails('volume', 'inspect', `missing-${tag}`), new RegExp(`get missing-${tag}: no such volume`));
  t.regex(await dockerFails('volume', 'create', 'bad/name'), /includes invalid characters for a local volume name/);
  t.regex(await dockerFails('volume', 'create', '--driver', 'nfs', `x-${tag}`), /plugin "nfs" not found/);
  t.regex(await dockerFails('volume', 'rm', `missing-${tag}`), /no such volume/);
  const typed = await postJson('/v1.51/volumes/create', '{"Name": 5}');
  t.is(typed.status, 400);
  t.is(JSON.parse(typed.body).message, 'invalid JSON: json: cannot unmarshal number into Go struct field CreateOptions.Name of type string');
  await docker('volume', 'rm', '--force', `missing-${tag}`);

  await docker('volume', 'rm', name, anonymous);
  t.is((await docker('volume', 'ls', '-q')).stdout.trim(), '');
  await t.throwsAsync(stat(join(dir, 'root', 'volumes', name)));
});

test.serial('a volume mounted by a container is in use (409) until the container is gone; data persists between users', async (t) => {
  const name = `shared-${tag}`;
  const first = randomBytes(32).toString('hex');
  const second = randomBytes(32).toString('hex');
  // The container module's view: the container directory exists while the container does.
  await mkdir(join(dir, 'root', 'containers', first), { recursive: true });
  const mounted = await mounts().mount(name, first);
  t.is(mounted.path, join(dir, 'root', 'volumes', name, '_data'));
  await writeFile(join(mounted.path, 'note.txt'), 'kept');

  t.regex(await dockerFails('volume', 'rm', name), new RegExp(`remove ${name}: volume is in use - \\[${first}\\]`));
  t.is((await docker('volume', 'ls', '--filter', 'dangling=true', '-q')).stdout.trim(), '');

  // The first container goes; a second one mounts the same volume and finds the file.
  await rm(join(dir, 'root', 'containers', first), { recursive: true });
  await mounts().forget(first);
  await mkdir(join(dir, 'root', 'containers', second), { recursive: true });
  const again = await mounts().mount(name, second);
  t.is(await readFile(join(again.path, 'note.txt'), 'utf8'), 'kept');

  // An anonymous volume for the second container; rm -v removes it only when unused.
  const anon = await mounts().mount('', second);
  t.regex(anon.name, /^[0-9a-f]{64}$/);
  await mounts().remove([anon.name]);
  t.true((await docker('volume', 'ls', '-q')).stdout.includes(anon.name), 'in use: kept');
  await rm(join(dir, 'root', 'containers', second), { recursive: true });

  // Copy-up: an empty volume mounted over image content gets that content (owners and modes kept), once.
  const image = join(dir, 'image-etc');
  await mkdir(join(image, 'sub'), { recursive: true });
  await writeFile(join(image, 'sub', 'conf'), 'from the image');
  await chown(join(image, 'sub', 'conf'), 1234, 5678);
  const copied = await mounts().mount(`copy-${tag}`, second, { copyFrom: image });
  t.is(await readFile(join(copied.path, 'sub', 'conf'), 'utf8'), 'from the image');
  t.is((await stat(join(copied.path, 'sub', 'conf'))).uid, 1234);
  await writeFile(join(image, 'sub', 'conf'), 'changed');
  await mounts().mount(`copy-${tag}`, second, { copyFrom: image });
  t.is(await readFile(join(copied.path, 'sub', 'conf'), 'utf8'), 'from the image', 'not copied again into a non-empty volume');
  await mounts().forget(second);

  // prune: anonymous only by default, named ones with --all.
  const pruned = (await docker('volume', 'prune', '-f')).stdout;
  t.true(pruned.includes(anon.name));
  t.false(pruned.includes(name));
  const all = (await docker('volume', 'prune', '-f', '--all')).stdout;
  t.true(all.includes(name));
  t.true(all.includes(`copy-${tag}`));
  t.is((await docker('volume', 'ls', '-q')).stdout.trim(), '');
});
