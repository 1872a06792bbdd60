/**
 * Tasks through tsd-containerd with the real ctr and real shims: ctr run -d / --rm, task ls, exec,
 * ps, kill, delete, containers rm, snapshots ls, and the task events shims forward to our ttrpc
 * endpoint. Every test runs once per runtime of TASK_RUNTIMES.
 */
import test from 'ava';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { CTR, ContainerdDaemon } from '../helpers/containerd-daemon.js';
import { TASK_RUNTIMES } from '../helpers/containerd-task-runtimes.js';
import { ctrOnTerminal } from '../helpers/ctr-terminal.js';
import { pulledBusybox, taskLine, uniqueId, waitForTask } from '../helpers/containerd-tasks.js';

let registry: FixtureRegistry;

test.before(async () => {
  registry = await startFixtureRegistry({ nginx: false });
});
test.after.always(async () => {
  await registry?.stop();
});

for (const runtime of TASK_RUNTIMES) {
  test(`${runtime.title}: run -d, task ls, exec, ps, kill, delete, containers rm; ctr events shows the task events`, async (t) => {
    const daemon = await ContainerdDaemon.start();
    t.teardown(() => daemon.stop());
    const watch = await daemon.subscribeEvents();
    t.teardown(() => watch.stop());
    const ref = await pulledBusybox(daemon, registry);
    const id = uniqueId('life');

    await daemon.ctrOk(['run', ...runtime.runArgs(daemon), '-d', ref, id, 'sleep', '1000']);
    const listed = await daemon.ctrOk(['task', 'ls']);
    const line = taskLine(listed, id);
    if (!line) return t.fail(`task ${id} not listed:\n${listed}`);
    t.is(line.status, 'RUNNING', listed);
    t.regex(await daemon.ctrOk(['containers', 'ls']), new RegExp(`^${id}\\s+${ref.replace(/[.]/g, '\\.')}\\s+${runtime.runtime.replace(/[.]/g, '\\.')}`, 'm'));
    t.regex(await daemon.ctrOk(['snapshots', 'ls']), new RegExp(`^${id}\\s+sha256:[0-9a-f]{64}\\s+Active`, 'm'));

    // exec: output and exit code come back through the shim.
    const exec = await daemon.ctr(['task', 'exec', '--exec-id', 'probe', id, 'sh', '-c', 'echo from-exec; cat /proc/1/cmdline; exit 4']);
    t.is(exec.code, 4, exec.stderr);
    t.regex(exec.stdout, /^from-exec\nsleep\u00001000\u0000/);
    t.regex(await daemon.ctrOk(['task', 'ps', id]), new RegExp(`^${line.pid}\\s`, 'm'));

    await daemon.ctrOk(['task', 'kill', '--signal', 'SIGKILL', id]);
    const stopped = await waitForTask(daemon, id, 'STOPPED');
    t.is(stopped.pid, line.pid);
    const deleted = await daemon.ctr(['task', 'delete', id]);
    t.is(deleted.code, 0, deleted.stderr);
    t.regex(deleted.stderr, /exit with non-zero exit code 137/);
    t.is(taskLine(await daemon.ctrOk(['task', 'ls']), id), undefined);

    await daemon.ctrOk(['containers', 'rm', id]);
    t.notRegex(await daemon.ctrOk(['containers', 'ls', '-q']), new RegExp(id));
    t.notRegex(await daemon.ctrOk(['snapshots', 'ls']), new RegExp(`^${id}\\s`, 'm'));

    const text = watch.text();
    for (const topic of ['/containers/create', '/tasks/create', '/tasks/start', '/tasks/exec-added', '/tasks/exec-started', '/tasks/exit', '/tasks/delete', '/containers/delete']) {
      t.regex(text, new RegExp(`default ${topic} \\{[^\\n]*"(container_id|id)":"${id}"`), `${topic} missing from:\n${text}`);
    }
    t.regex(text, new RegExp(`/tasks/exit \\{"container_id":"${id}","id":"probe","pid":\\d+,"exit_status":4`));
    t.regex(text, new RegExp(`/tasks/exit \\{"container_id":"${id}","id":"${id}","pid":\\d+,"exit_status":137`));
  });

  test(`${runtime.title}: run --rm attached prints the output and exits with the task's code`, async (t) => {
    const daemon = await ContainerdDaemon.start();
    t.teardown(() => daemon.stop());
    const ref = await pulledBusybox(daemon, registry);
    const result = await daemon.ctr(['run', ...runtime.runArgs(daemon), '--rm', ref, uniqueId('once'), 'sh', '-c', 'echo out-line; echo err-line >&2; exit 3']);
    t.is(result.code, 3, result.stderr);
    t.is(result.stdout, 'out-line\n');
    t.regex(result.stderr, /^err-line$/m);
    t.is(await daemon.ctrOk(['containers', 'ls', '-q']), '');
    t.is(await daemon.ctrOk(['task', 'ls', '-q']), '');
    t.notRegex(await daemon.ctrOk(['snapshots', 'ls']), /^once-/m);
  });

  test(`${runtime.title}: run -t gives the task a terminal of ctr's size (ResizePty)`, async (t) => {
    const daemon = await ContainerdDaemon.start();
    t.teardown(() => daemon.stop());
    const ref = await pulledBusybox(daemon, registry);
    // ctr's terminal is sized 40x100 (ctr-terminal.ts). ctr resizes the task's terminal just after
    // starting it (ResizePty), so the task waits for the size; then it prints, and exits only
    // after the line the helper sends once the output is through (Debian's ctr may drop output
    // written just before the exit: see ctr-terminal.ts).
    const inner = `'until [ "$(stty size 2>/dev/null)" = "40 100" ]; do sleep 0.1; done; tty; stty size; read line; exit 5'`;
    const ctr = [CTR, '--address', daemon.address, 'run', ...runtime.runArgs(daemon), '-t', '--rm', ref, uniqueId('tty'), 'sh', '-c', inner];
    const shown = /\/dev\/pts\/\d+\r*\n40 100\r*\n/;
    const result = await ctrOnTerminal(ctr.join(' '), { rows: 40, cols: 100 }, shown);
    t.is(result.status, 5, result.output);
    t.regex(result.output, shown);
  });
}
