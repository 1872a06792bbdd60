/**
 * The shim outlives containerd: Debian's containerd is killed with -9 while tasks run under our
 * shim, started again on the same dirs, and reconnects (it reads <bundle>/address). The tasks are
 * still listed, running, exec-able and killable; an exit that happened while containerd was
 * down was recorded by the shim and is reported after the restart.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureRegistry } from '../fixtures/fixture-images.js';
import { DebianContainerd, SHIM_RUNTIME } from '../helpers/debian-containerd.js';
import { shimProtos, TASK_SERVICE } from '../../guest/shim/shim-protos.js';
import { ServiceClient, TtrpcClient } from '../../guest/ttrpc/index.js';

const R = ['--runtime', SHIM_RUNTIME];

test('kill -9 containerd while tasks run; after its restart the tasks are still there and manageable', async (t) => {
  const containerd = await DebianContainerd.start();
  const fixtures = await startFixtureRegistry({ nginx: false });
  const image = `${fixtures.host}/library/busybox:latest`;
  const keep = `keep-${process.pid}`;
  const dies = `dies-${process.pid}`;
  try {
    await containerd.ctrOk(['images', 'pull', '--plain-http', image]);
    for (const id of [keep, dies]) await containerd.ctrOk(['run', ...R, '-d', image, id, 'sleep', '1000']);
    const pids = Object.fromEntries([keep, dies].map((id) => [id, taskPid(readFileSync(bundle(containerd, id, 'init.pid'), 'utf8'))]));

    await containerd.kill9();
    t.true(isAlive(pids[keep]!), 'the task survives containerd');
    // An exit while containerd is down: the shim reaps it and keeps the status (and the event).
    process.kill(pids[dies]!, 'SIGKILL');
    const state = await shimState(readFileSync(bundle(containerd, dies, 'address'), 'utf8'), dies);
    t.like(state, { status: 'STOPPED', exitStatus: 137 });

    await containerd.restart();
    const list = await containerd.ctrOk(['task', 'ls']);
    t.regex(list, new RegExp(`^${keep}\\s+${pids[keep]}\\s+RUNNING`, 'm'), list);
    t.regex(list, new RegExp(`^${dies}\\s+${pids[dies]}\\s+STOPPED`, 'm'), list);

    const exec = await containerd.ctr(['task', 'exec', '--exec-id', 'after-restart', keep, 'sh', '-c', 'echo still here']);
    t.is(exec.stdout, 'still here\n', exec.stderr);
    await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', keep]);
    for (let i = 0; i < 100 && isAlive(pids[keep]!); i++) await new Promise((r) => setTimeout(r, 100));
    t.false(isAlive(pids[keep]!), 'killed through the restarted containerd');
    for (let i = 0; i < 100 && !/STOPPED/.test(await containerd.ctrOk(['task', 'ls'])); i++) await new Promise((r) => setTimeout(r, 100));
    for (const id of [keep, dies]) {
      await containerd.ctrOk(['task', 'delete', id]);
      await containerd.ctrOk(['containers', 'rm', id]);
    }
    t.is((await containerd.ctrOk(['task', 'ls', '-q'])).trim(), '');
  } finally {
    await containerd.stop();
    await fixtures.stop();
  }
});

test('the shim itself killed -9: containerd runs its delete verb, which removes the container and unmounts its rootfs', async (t) => {
  const containerd = await DebianContainerd.start();
  const fixtures = await startFixtureRegistry({ nginx: false });
  const image = `${fixtures.host}/library/busybox:latest`;
  const id = `orphan-${process.pid}`;
  try {
    await containerd.ctrOk(['images', 'pull', '--plain-http', image]);
    await containerd.ctrOk(['run', ...R, '-d', image, id, 'sleep', '1000']);
    const pid = taskPid(readFileSync(bundle(containerd, id, 'init.pid'), 'utf8'));
    const socket = readFileSync(bundle(containerd, id, 'address'), 'utf8').replace('unix://', '');
    const shim = shimProcess(socket);
    t.truthy(shim, 'the shim serving the task');
    process.kill(shim!, 'SIGKILL');
    // containerd sees the connection close and cleans up with `containerd-shim-tsd-v2 … delete`.
    for (let i = 0; i < 200 && (await containerd.ctrOk(['task', 'ls', '-q'])).includes(id); i++) await new Promise((r) => setTimeout(r, 100));
    t.false((await containerd.ctrOk(['task', 'ls', '-q'])).includes(id), 'the task is gone');
    for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    t.false(isAlive(pid), 'the container was killed by runtime delete --force');
    t.false(readFileSync('/proc/self/mountinfo', 'utf8').includes(`/${id}/rootfs`), 'its rootfs is unmounted');
    await containerd.ctrOk(['containers', 'rm', id]);
  } finally {
    await containerd.stop();
    await fixtures.stop();
  }
});

function shimProcess(socket: string): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.some((arg) => arg.endsWith('shim.mjs')) && argv.includes(socket)) return Number(name);
    } catch {
      // gone
    }
  }
  return undefined;
}

function bundle(containerd: DebianContainerd, id: string, file: string): string {
  return join(containerd.state, 'io.containerd.runtime.v2.task', 'default', id, file);
}

function taskPid(text: string): number {
  return Number(text.trim());
}

async function shimState(address: string, id: string): Promise<Record<string, unknown>> {
  const client = await TtrpcClient.connect(address);
  try {
    const task = new ServiceClient(client, shimProtos(), TASK_SERVICE);
    for (let i = 0; ; i++) {
      const state = await task.call('State', { id });
      if (state['status'] === 'STOPPED' || i > 100) return state;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    client.close();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
