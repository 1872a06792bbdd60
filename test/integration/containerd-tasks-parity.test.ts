/**
 * The same bad calls to the containers and tasks services of Debian's containerd 1.6 and of
 * tsd-containerd, with one gRPC client built from our .proto files: the status codes must be the
 * same: first calls that need no task, then calls on a running task (both daemons running it
 * through Debian's containerd-shim-runc-v2 and runc). Checkpoint is left out on purpose: containerd
 * tries criu (Unknown when it is missing), tsd-containerd answers Unimplemented.
 */
import test from 'ava';
import { status, type ServiceError } from '@grpc/grpc-js';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { ContainerdClient } from '../helpers/containerd-client.js';
import { ContainerdDaemon } from '../helpers/containerd-daemon.js';
import { DebianContainerd } from '../helpers/debian-containerd.js';
import { uniqueId } from '../helpers/containerd-tasks.js';

const TASKS = 'containerd.services.tasks.v1.Tasks';
const CONTAINERS = 'containerd.services.containers.v1.Containers';
const SPEC = { type_url: 'types.containerd.io/opencontainers/runtime-spec/1/Spec', value: Buffer.from('{"ociVersion":"1.0.2"}') };

function container(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, labels: {}, image: '', runtime: { name: 'io.containerd.runc.v2' }, spec: SPEC, snapshotter: '', snapshotKey: '', extensions: {}, ...overrides };
}

type Call = (client: ContainerdClient, bare: ContainerdClient) => Promise<unknown>;

/** Each call in order, on a fresh daemon; the status code of each (OK = 0). */
const CALLS: Array<[string, Call]> = [
  ['create c1', (c) => c.unary(CONTAINERS, 'Create', { container: container('c1') })],
  ['create c1 again', (c) => c.unary(CONTAINERS, 'Create', { container: container('c1') })],
  ['create with a bad id', (c) => c.unary(CONTAINERS, 'Create', { container: container('bad id') })],
  ['create without runtime', (c) => c.unary(CONTAINERS, 'Create', { container: container('c2', { runtime: { name: '' } }) })],
  ['create without spec', (c) => c.unary(CONTAINERS, 'Create', { container: container('c2', { spec: null }) })],
  ['create with a snapshot key and no snapshotter', (c) => c.unary(CONTAINERS, 'Create', { container: container('c2', { snapshotKey: 'k' }) })],
  ['get an unknown container', (c) => c.unary(CONTAINERS, 'Get', { id: 'nope' })],
  ['delete an unknown container', (c) => c.unary(CONTAINERS, 'Delete', { id: 'nope' })],
  ['update the runtime of c1', (c) => c.unary(CONTAINERS, 'Update', { container: container('c1', { runtime: { name: 'io.containerd.other.v2' } }) })],
  ['update an unknown field path', (c) => c.unary(CONTAINERS, 'Update', { container: container('c1'), updateMask: { paths: ['runtime'] } })],
  ['update labels of c1 by path', (c) => c.unary(CONTAINERS, 'Update', { container: container('c1', { labels: { a: 'b' } }), updateMask: { paths: ['labels.a'] } })],
  ['update an unknown container', (c) => c.unary(CONTAINERS, 'Update', { container: container('nope'), updateMask: { paths: ['labels'] } })],
  ['list containers without a namespace', (_c, bare) => bare.unary(CONTAINERS, 'List', {})],
  ['get the task of an unknown container', (c) => c.unary(TASKS, 'Get', { containerId: 'nope' })],
  ['get the task of a container without one', (c) => c.unary(TASKS, 'Get', { containerId: 'c1' })],
  ['create a task for an unknown container', (c) => c.unary(TASKS, 'Create', { containerId: 'nope' })],
  ['start a task that does not exist', (c) => c.unary(TASKS, 'Start', { containerId: 'c1' })],
  ['kill a task that does not exist', (c) => c.unary(TASKS, 'Kill', { containerId: 'c1', signal: 9 })],
  ['delete a task that does not exist', (c) => c.unary(TASKS, 'Delete', { containerId: 'c1' })],
  ['wait for a task that does not exist', (c) => c.unary(TASKS, 'Wait', { containerId: 'c1' })],
  ['list pids of a task that does not exist', (c) => c.unary(TASKS, 'ListPids', { containerId: 'c1' })],
  ['list tasks', (c) => c.unary(TASKS, 'List', {})],
  ['list tasks without a namespace', (_c, bare) => bare.unary(TASKS, 'List', {})],
  ['delete c1', (c) => c.unary(CONTAINERS, 'Delete', { id: 'c1' })],
];

async function codes(address: string): Promise<Record<string, status>> {
  const client = new ContainerdClient(address);
  const bare = new ContainerdClient(address, null);
  const result: Record<string, status> = {};
  try {
    for (const [name, call] of CALLS) {
      try {
        await call(client, bare);
        result[name] = status.OK;
      } catch (error) {
        result[name] = (error as ServiceError).code;
      }
    }
  } finally {
    client.close();
    bare.close();
  }
  return result;
}

test('containers and tasks answer bad calls with the status codes of Debian containerd 1.6', async (t) => {
  const debian = await DebianContainerd.start();
  t.teardown(() => debian.stop());
  const ours = await ContainerdDaemon.start();
  t.teardown(() => ours.stop());
  const expected = await codes(debian.address);
  // The reference itself must have refused what is refused below, or the comparison proves little.
  t.like(expected, { 'create c1': status.OK, 'create c1 again': status.ALREADY_EXISTS, 'get an unknown container': status.NOT_FOUND });
  t.deepEqual(await codes(ours.address), expected);
});

/** Calls on the running task `id` (and its container), in order. */
function taskCalls(id: string): Array<[string, Call]> {
  return [
    ['create a second task', (c) => c.unary(TASKS, 'Create', { containerId: id })],
    ['delete the running task', (c) => c.unary(TASKS, 'Delete', { containerId: id })],
    ['get an unknown exec', (c) => c.unary(TASKS, 'Get', { containerId: id, execId: 'nope' })],
    ['kill an unknown exec', (c) => c.unary(TASKS, 'Kill', { containerId: id, execId: 'nope', signal: 9 })],
    ['start an unknown exec', (c) => c.unary(TASKS, 'Start', { containerId: id, execId: 'nope' })],
    ['delete an unknown exec', (c) => c.unary(TASKS, 'DeleteProcess', { containerId: id, execId: 'nope' })],
    ['exec without an id', (c) => c.unary(TASKS, 'Exec', { containerId: id, execId: '' })],
    ['get the task', (c) => c.unary(TASKS, 'Get', { containerId: id })],
    ['list its pids', (c) => c.unary(TASKS, 'ListPids', { containerId: id })],
    ['pause', (c) => c.unary(TASKS, 'Pause', { containerId: id })],
    ['pause again', (c) => c.unary(TASKS, 'Pause', { containerId: id })],
    ['resume', (c) => c.unary(TASKS, 'Resume', { containerId: id })],
    ['kill it', (c) => c.unary(TASKS, 'Kill', { containerId: id, signal: 9 })],
    ['wait for it', (c) => c.unary(TASKS, 'Wait', { containerId: id })],
    ['kill it again', (c) => c.unary(TASKS, 'Kill', { containerId: id, signal: 9 })],
    ['delete it', (c) => c.unary(TASKS, 'Delete', { containerId: id })],
    ['delete it again', (c) => c.unary(TASKS, 'Delete', { containerId: id })],
  ];
}

async function taskCodes(daemon: { address: string; ctrOk(args: readonly string[]): Promise<string> }, registry: FixtureRegistry, runc: string[]): Promise<Record<string, status>> {
  const ref = `${registry.host}/library/busybox:latest`;
  await daemon.ctrOk(['images', 'pull', '--plain-http', ref]);
  const id = uniqueId('parity');
  await daemon.ctrOk(['run', '--runtime', 'io.containerd.runc.v2', '--runc-binary', '/usr/sbin/runc', ...runc, '-d', ref, id, 'sleep', '1000']);
  const client = new ContainerdClient(daemon.address);
  const result: Record<string, status> = {};
  try {
    for (const [name, call] of taskCalls(id)) {
      try {
        await call(client, client);
        result[name] = status.OK;
      } catch (error) {
        result[name] = (error as ServiceError).code;
      }
    }
  } finally {
    client.close();
  }
  return result;
}

test('calls on a running task answer with the status codes of Debian containerd 1.6 (same shim and runc)', async (t) => {
  const registry = await startFixtureRegistry({ nginx: false });
  t.teardown(() => registry.stop());
  const debian = await DebianContainerd.start();
  t.teardown(() => debian.stop());
  const ours = await ContainerdDaemon.start();
  t.teardown(() => ours.stop());
  const expected = await taskCodes(debian, registry, []);
  t.like(expected, { 'create a second task': status.ALREADY_EXISTS, 'get the task': status.OK, 'delete it': status.OK });
  t.deepEqual(await taskCodes(ours, registry, ['--runc-root', ours.runcRoot]), expected);
});
