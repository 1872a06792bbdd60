/**
 * Bad input to the containers and tasks services, with a gRPC client built from our .proto files:
 * the status codes containerd answers with (NotFound, AlreadyExists, FailedPrecondition,
 * InvalidArgument, Unimplemented), including the ones a shim returns, and container updates by
 * field mask. Runs once per runtime of TASK_RUNTIMES.
 */
import test from 'ava';
import { status, type ServiceError } from '@grpc/grpc-js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { ContainerdClient } from '../helpers/containerd-client.js';
import { ContainerdDaemon } from '../helpers/containerd-daemon.js';
import { TASK_RUNTIMES } from '../helpers/containerd-task-runtimes.js';
import { pulledBusybox, uniqueId } from '../helpers/containerd-tasks.js';

const TASKS = 'containerd.services.tasks.v1.Tasks';
const CONTAINERS = 'containerd.services.containers.v1.Containers';

let registry: FixtureRegistry;

test.before(async () => {
  registry = await startFixtureRegistry({ nginx: false });
});
test.after.always(async () => {
  await registry?.stop();
});

async function failure(promise: Promise<unknown>): Promise<{ code: status; details: string }> {
  try {
    await promise;
  } catch (error) {
    return { code: (error as ServiceError).code, details: (error as ServiceError).details };
  }
  throw new Error('expected the call to fail');
}

interface Container {
  id: string;
  labels: Record<string, string>;
  runtime: { name: string; options: unknown };
  spec: { type_url: string; value: Buffer };
  snapshotter: string;
  snapshotKey: string;
  image: string;
  extensions: Record<string, unknown>;
}

for (const runtime of TASK_RUNTIMES) {
  test(`${runtime.title}: unknown, duplicate and wrong-namespace ids answer like containerd`, async (t) => {
    const daemon = await ContainerdDaemon.start();
    const client = new ContainerdClient(daemon.address);
    const other = new ContainerdClient(daemon.address, 'elsewhere');
    const bare = new ContainerdClient(daemon.address, null);
    t.teardown(async () => {
      for (const c of [client, other, bare]) c.close();
      await daemon.stop();
    });
    const ref = await pulledBusybox(daemon, registry);
    const id = uniqueId('bad');
    await daemon.ctrOk(['run', ...runtime.runArgs(daemon), '-d', ref, id, 'sleep', '1000']);
    await daemon.ctrOk(['namespaces', 'create', 'elsewhere']);

    t.like(await failure(client.unary(TASKS, 'Get', { containerId: 'nope' })), { code: status.NOT_FOUND });
    t.like(await failure(client.unary(CONTAINERS, 'Get', { id: 'nope' })), { code: status.NOT_FOUND });
    t.like(await failure(client.unary(TASKS, 'Create', { containerId: 'nope' })), { code: status.NOT_FOUND });
    t.like(await failure(client.unary(TASKS, 'Create', { containerId: id })), { code: status.ALREADY_EXISTS });
    t.like(await failure(other.unary(TASKS, 'Get', { containerId: id })), { code: status.NOT_FOUND });
    t.like(await failure(other.unary(TASKS, 'Kill', { containerId: id, signal: 9 })), { code: status.NOT_FOUND });
    t.like(await failure(bare.unary(TASKS, 'List', {})), { code: status.FAILED_PRECONDITION });

    // From the shim, passed through as it answered: a running task cannot be deleted (runc's shim
    // says so with code Unknown, as through containerd), an unknown exec is not found.
    const running = await failure(client.unary(TASKS, 'Delete', { containerId: id }));
    t.true(running.code === status.UNKNOWN || running.code === status.FAILED_PRECONDITION, `${running.code} ${running.details}`);
    t.regex(running.details, /running/);
    t.like(await failure(client.unary(TASKS, 'Get', { containerId: id, execId: 'no-such-exec' })), { code: status.NOT_FOUND });
    t.like(await failure(client.unary(TASKS, 'Exec', { containerId: id, execId: '' })), { code: status.INVALID_ARGUMENT });
    t.like(await failure(client.unary(TASKS, 'Checkpoint', { containerId: id })), { code: status.UNIMPLEMENTED });
    const got = await client.unary<{ process: { id: string; status: string; pid: number } }>(TASKS, 'Get', { containerId: id });
    t.like(got.process, { id, status: 'RUNNING' });
    const pids = await client.unary<{ processes: Array<{ pid: number }> }>(TASKS, 'ListPids', { containerId: id });
    t.deepEqual(pids.processes.map((p) => p.pid), [got.process.pid]);

    // Containers: duplicate id, immutable runtime, field-mask label update, unknown runtime.
    const { container } = await client.unary<{ container: Container }>(CONTAINERS, 'Get', { id });
    t.like(await failure(client.unary(CONTAINERS, 'Create', { container })), { code: status.ALREADY_EXISTS });
    t.like(await failure(client.unary(CONTAINERS, 'Create', { container: { ...container, id: uniqueId('norun'), runtime: { name: '' } } })), { code: status.INVALID_ARGUMENT });
    const changed = { ...container, runtime: { name: 'io.containerd.other.v2', options: null } };
    t.like(await failure(client.unary(CONTAINERS, 'Update', { container: changed })), { code: status.INVALID_ARGUMENT });
    const labelled = await client.unary<{ container: Container }>(CONTAINERS, 'Update', {
      container: { ...container, labels: { team: 'tsd', ignored: 'x' } },
      updateMask: { paths: ['labels.team'] },
    });
    t.is(labelled.container.labels['team'], 'tsd');
    t.false('ignored' in labelled.container.labels);
    t.is(labelled.container.runtime.name, runtime.runtime);

    const stray = uniqueId('stray');
    await client.unary(CONTAINERS, 'Create', { container: { ...container, id: stray, snapshotKey: '', snapshotter: '', runtime: { name: 'io.containerd.nope.v9' } } });
    const unknownRuntime = await failure(client.unary(TASKS, 'Create', { containerId: stray }));
    t.is(unknownRuntime.code, status.NOT_FOUND);
    t.regex(unknownRuntime.details, /containerd-shim-nope-v9/);
    t.false(existsSync(join(daemon.state, 'io.containerd.runtime.v2.task', 'default', stray)));
    await client.unary(CONTAINERS, 'Delete', { id: stray });
    t.like(await failure(client.unary(CONTAINERS, 'Delete', { id: stray })), { code: status.NOT_FOUND });

    // A task whose rootfs cannot be mounted: the shim's error comes back, nothing is left behind.
    const broken = uniqueId('broken');
    await client.unary(CONTAINERS, 'Create', { container: { ...container, id: broken, snapshotKey: '', snapshotter: '' } });
    const mountFailed = await failure(client.unary(TASKS, 'Create', {
      containerId: broken,
      rootfs: [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${join(daemon.dir, 'no-such-lower')}`] }],
    }));
    t.not(mountFailed.code, status.OK);
    t.regex(mountFailed.details, /mount|no such file/i);
    t.is(await daemon.ctrOk(['task', 'ls', '-q']), `${id}\n`);
    t.false(existsSync(join(daemon.state, 'io.containerd.runtime.v2.task', 'default', broken)));
  });
}
