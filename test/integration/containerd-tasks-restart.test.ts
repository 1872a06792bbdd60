/**
 * Shims outlive tsd-containerd: after a kill -9 of the daemon, the next start reconnects to them
 * (tasks still running, listed, exec-able, killable; metadata intact), a task that exited while
 * the daemon was down shows STOPPED with its status, and a shim that dies is cleaned up with
 * `shim delete` and its task's exit published, as containerd does.
 */
import test from 'ava';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { ContainerdDaemon } from '../helpers/containerd-daemon.js';
import { TASK_RUNTIMES } from '../helpers/containerd-task-runtimes.js';
import { parentPid, processGone, pulledBusybox, taskLine, uniqueId, waitForTask } from '../helpers/containerd-tasks.js';

let registry: FixtureRegistry;

test.before(async () => {
  registry = await startFixtureRegistry({ nginx: false });
});
test.after.always(async () => {
  await registry?.stop();
});

const bundleDir = (daemon: ContainerdDaemon, ns: string, id: string): string => join(daemon.state, 'io.containerd.runtime.v2.task', ns, id);

for (const runtime of TASK_RUNTIMES) {
  test(`${runtime.title}: kill -9 of tsd-containerd leaves tasks running; after restart they are listed, exec-able and killable`, async (t) => {
    const daemon = await ContainerdDaemon.start();
    t.teardown(() => daemon.stop());
    const ref = await pulledBusybox(daemon, registry);
    await daemon.ctrOk(['namespaces', 'create', 'other']);
    await pulledBusybox(daemon, registry, 'other');
    const [keepId, endsId, elsewhereId] = [uniqueId('keep'), uniqueId('ends'), uniqueId('elsewhere')];
    await daemon.ctrOk(['run', ...runtime.runArgs(daemon), '-d', ref, keepId, 'sleep', '1000']);
    await daemon.ctrOk(['run', ...runtime.runArgs(daemon), '-d', ref, endsId, 'sh', '-c', 'read line; exit 7']);
    await daemon.ctrOk(['run', ...runtime.runArgs(daemon), '-d', ref, elsewhereId, 'sleep', '1000'], { namespace: 'other' });
    const before = await daemon.ctrOk(['task', 'ls']);
    const keep = taskLine(before, keepId);
    const ends = taskLine(before, endsId);
    if (!keep || !ends) return t.fail(before);

    await daemon.kill9();
    // While the daemon is down, one task ends (its shim stays and records the exit).
    process.kill(ends.pid, 'SIGKILL');
    await daemon.restart();

    t.like(taskLine(await daemon.ctrOk(['task', 'ls']), keepId), { pid: keep.pid, status: 'RUNNING' });
    t.true(existsSync(join(daemon.root, 'io.containerd.runtime.v2.task', 'default', keepId)), 'a live task keeps its work dir');
    t.like(await waitForTask(daemon, endsId, 'STOPPED'), { pid: ends.pid });
    t.is(taskLine(await daemon.ctrOk(['task', 'ls'], { namespace: 'other' }), elsewhereId)?.status, 'RUNNING');
    t.deepEqual((await daemon.ctrOk(['containers', 'ls', '-q'])).split('\n').filter(Boolean).sort(), [endsId, keepId].sort());
    t.regex(await daemon.ctrOk(['images', 'ls', '-q']), /library\/busybox:latest/);

    const exec = await daemon.ctr(['task', 'exec', '--exec-id', 'after', keepId, 'echo', 'still-here']);
    t.is(exec.stdout, 'still-here\n', exec.stderr);
    await daemon.ctrOk(['task', 'kill', '--signal', 'SIGKILL', keepId]);
    await waitForTask(daemon, keepId, 'STOPPED');
    for (const id of [keepId, endsId]) {
      const deleted = await daemon.ctr(['task', 'delete', id]);
      t.is(deleted.code, 0, deleted.stderr);
      t.false(existsSync(bundleDir(daemon, 'default', id)));
      await daemon.ctrOk(['containers', 'rm', id]);
    }
    t.is(await daemon.ctrOk(['task', 'ls', '-q']), '');

    // A clean stop (SIGTERM) leaves the shims too; the next start finds the task in the other namespace.
    await daemon.terminate();
    await daemon.restart();
    t.is(taskLine(await daemon.ctrOk(['task', 'ls'], { namespace: 'other' }), elsewhereId)?.status, 'RUNNING');
  });

  test(`${runtime.title}: a shim that dies is cleaned up; its task's exit and deletion are published`, async (t) => {
    const daemon = await ContainerdDaemon.start();
    t.teardown(() => daemon.stop());
    const ref = await pulledBusybox(daemon, registry);
    const watch = await daemon.subscribeEvents();
    t.teardown(() => watch.stop());
    const id = uniqueId('orphan');
    await daemon.ctrOk(['run', ...runtime.runArgs(daemon), '-d', ref, id, 'sleep', '1000']);
    const task = taskLine(await daemon.ctrOk(['task', 'ls']), id);
    if (!task) return t.fail(`task ${id} not listed`);

    process.kill(parentPid(task.pid), 'SIGKILL');
    await waitForTask(daemon, id, undefined);
    for (let i = 0; i < 100 && !watch.text().includes('/tasks/delete'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    t.true(watch.text().includes(`default /tasks/exit {"container_id":"${id}","id":"${id}"`), watch.text());
    t.true(watch.text().includes(`default /tasks/delete {"container_id":"${id}"`), watch.text());
    t.false(existsSync(bundleDir(daemon, 'default', id)));
    t.true(processGone(task.pid), 'the task was killed by the cleanup');
    await daemon.ctrOk(['containers', 'rm', id]);
  });

  test(`${runtime.title}: a shim that died while tsd-containerd was down is cleaned up on start`, async (t) => {
    const daemon = await ContainerdDaemon.start();
    t.teardown(() => daemon.stop());
    const ref = await pulledBusybox(daemon, registry);
    const id = uniqueId('gone');
    await daemon.ctrOk(['run', ...runtime.runArgs(daemon), '-d', ref, id, 'sleep', '1000']);
    const task = taskLine(await daemon.ctrOk(['task', 'ls']), id);
    if (!task) return t.fail(`task ${id} not listed`);
    await daemon.kill9();
    process.kill(parentPid(task.pid), 'SIGKILL');
    // A work dir whose bundle is gone (a state tmpfs emptied by a reboot) is removed on start too.
    const strayWork = join(daemon.root, 'io.containerd.runtime.v2.task', 'default', 'stray');
    mkdirSync(strayWork, { recursive: true });
    await daemon.restart();
    t.false(existsSync(strayWork));
    t.is(taskLine(await daemon.ctrOk(['task', 'ls']), id), undefined);
    t.false(existsSync(bundleDir(daemon, 'default', id)));
    t.true(processGone(task.pid), 'the task was killed by the cleanup');
    await daemon.ctrOk(['containers', 'rm', id]);
    t.notRegex(await daemon.ctrOk(['snapshots', 'ls']), new RegExp(`^${id}\\s`, 'm'));
  });
}

for (const runtime of TASK_RUNTIMES) {
  test(`${runtime.title}: the exit a shim reported is the one published when that shim dies later`, async (t) => {
    const daemon = await ContainerdDaemon.start();
    t.teardown(() => daemon.stop());
    const ref = await pulledBusybox(daemon, registry);
    const watch = await daemon.subscribeEvents();
    t.teardown(() => watch.stop());
    const id = uniqueId('reported');
    await daemon.ctrOk(['run', ...runtime.runArgs(daemon), '-d', ref, id, 'sh', '-c', 'while [ ! -e /go ]; do sleep 0.1; done; exit 7']);
    const task = taskLine(await daemon.ctrOk(['task', 'ls']), id);
    if (!task) return t.fail(`task ${id} not listed`);
    const shim = parentPid(task.pid);
    await daemon.ctrOk(['task', 'exec', '--exec-id', 'go', id, 'touch', '/go']);
    await waitForTask(daemon, id, 'STOPPED');

    process.kill(shim, 'SIGKILL');
    await waitForTask(daemon, id, undefined);
    for (let i = 0; i < 100 && !watch.text().includes('/tasks/delete'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    t.true(watch.text().includes(`default /tasks/delete {"container_id":"${id}","pid":${task.pid},"exit_status":7`), watch.text());
    await daemon.ctrOk(['containers', 'rm', id]);
  });
}
