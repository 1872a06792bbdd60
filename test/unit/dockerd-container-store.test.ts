import test from 'ava';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import { initialState, dockerTime, humanStatus, type ContainerRecord } from '../../guest/dockerd/containers/store/container-record.js';
import { ContainerStore } from '../../guest/dockerd/containers/store/container-store.js';
import { generateName, normalizeName } from '../../guest/dockerd/containers/store/names.js';

function record(id: string, name: string): ContainerRecord {
  return {
    ID: id, Created: dockerTime(), Path: 'sh', Args: [], State: initialState(), Image: 'sha256:' + 'b'.repeat(64), Name: name,
    RestartCount: 0, Driver: 'overlayfs', Platform: 'linux', MountLabel: '', ProcessLabel: '', AppArmorProfile: '',
    ResolvConfPath: '', HostnamePath: '', HostsPath: '', LogPath: '', Config: {}, HostConfig: {}, Mounts: [],
    Internal: { snapshotKey: id, snapshotter: 'overlayfs', runtime: 'io.containerd.runc.v2', manuallyStopped: false, hasBeenStarted: false, anonymousVolumes: [] },
  };
}

test('store: save, reload, lookups by id, name and prefix; Docker errors', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tsdtest-cstore-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = await ContainerStore.open(dir);
  const a = 'a1' + '0'.repeat(62);
  const b = 'a2' + '0'.repeat(62);
  await store.save(record(a, '/web'));
  await store.save(record(b, '/db'));
  // A directory left by a create cut short (no record) is cleaned up at open.
  await mkdir(join(dir, 'containers', 'c'.repeat(64)));
  await writeFile(join(dir, 'containers', 'c'.repeat(64), 'config.v2.json'), '{"trunc');

  const reopened = await ContainerStore.open(dir);
  t.is(reopened.find(a).Name, '/web');
  t.is(reopened.find('web').ID, a);
  t.is(reopened.find('/db').ID, b);
  t.is(reopened.find('a2').ID, b);
  t.deepEqual((await readdir(join(dir, 'containers'))).sort(), [a, b]);
  t.throws(() => reopened.find('a'), { message: 'multiple IDs found with provided prefix: a' });
  const missing = t.throws(() => reopened.find('nope'), { instanceOf: TsdError });
  t.is(missing?.code, 'not-found');
  t.is(missing?.message, 'No such container: nope');
  const conflict = t.throws(() => reopened.reserveName('/web', b), { instanceOf: TsdError });
  t.is(conflict?.code, 'conflict');
  t.is(conflict?.message, `Conflict. The container name "/web" is already in use by container "${a}". You have to remove (or rename) that container to be able to reuse that name.`);

  await reopened.delete(reopened.find('web'));
  t.is(reopened.tryFind('web'), undefined);
  t.notThrows(() => reopened.reserveName('/web', b));
});

test('names: validation and generation', (t) => {
  t.is(normalizeName('web.1_a-b'), '/web.1_a-b');
  t.is(normalizeName('/x1'), '/x1');
  t.throws(() => normalizeName('-bad'), { message: 'Invalid container name (-bad), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' });
  t.regex(generateName(() => false), /^\/[a-z]+_[a-z]+$/);
  let calls = 0;
  t.regex(generateName(() => ++calls < 12), /^\/[a-z]+_[a-z]+\d$/);
});

test('human status like docker ps', (t) => {
  const now = Date.parse('2024-01-01T00:10:00Z');
  t.is(humanStatus({ ...initialState(), Status: 'running', Running: true, StartedAt: '2024-01-01T00:07:00Z' }, now), 'Up 3 minutes');
  t.is(humanStatus({ ...initialState(), Status: 'exited', ExitCode: 3, FinishedAt: '2024-01-01T00:09:58Z' }, now), 'Exited (3) 2 seconds ago');
  t.is(humanStatus(initialState(), now), 'Created');
});
