/**
 * The idle group shim lingers (TSD_SHIM_IDLE_SECONDS) after its last task, under Debian's real
 * containerd 1.6 and `ctr`: a task that comes within the grace period is served by the same shim
 * process; with no task the shim leaves after it; a task whose start verb arrives while the shim is
 * leaving gets a new shim and runs.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startBusyboxContainerd, type BusyboxContainerd } from '../helpers/busybox-containerd.js';
import { isAlive } from '../helpers/process-alive.js';
import { CTR, SHIM_RUNTIME, type DebianContainerd } from '../helpers/debian-containerd.js';

/** The grace period the shims get (containerd passes its environment on to them). */
const LINGER_SECONDS = 15;
/** A start's reservation of the shim (task-service.ts): past it only the grace period keeps a shim. */
const RESERVATION_MS = 10_000;
process.env['TSD_SHIM_IDLE_SECONDS'] = String(LINGER_SECONDS);

const R = ['--runtime', SHIM_RUNTIME];
const unique = (name: string): string => `${name}-${process.pid}`;
let containerd: DebianContainerd;
let setup: BusyboxContainerd;
let image: string;

test.before(async () => {
  setup = await startBusyboxContainerd();
  ({ containerd, image } = setup);
});

test.after.always(async () => {
  await setup?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function bundleFile(id: string, file: string): string {
  return join(containerd.state, 'io.containerd.runtime.v2.task', 'default', id, file);
}

/** Starts a detached `sleep` task; returns its shim's PID and the group's directory. */
async function runTask(id: string, annotation: string): Promise<{ shimPid: number; groupDir: string }> {
  await containerd.ctrOk(['run', ...R, '--annotation', `io.containerd.tsd.v2.group=${annotation}`, '-d', image, id, 'sleep', '1000']);
  const socket = readFileSync(bundleFile(id, 'address'), 'utf8').replace('unix://', '');
  const shims = processes((argv) => argv.some((arg) => arg.endsWith('shim.mjs')) && argv.includes(socket) && argv.at(-1) === 'serve');
  if (shims.length !== 1) throw new Error(`expected one shim serving ${socket}, found ${shims.length}`);
  return { shimPid: shims[0]!, groupDir: dirname(readlinkSync(bundleFile(id, 'shim.log'))) };
}

async function removeTask(id: string): Promise<void> {
  await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
  for (let i = 0; i < 200 && !new RegExp(`^${id}\\s+\\d+\\s+STOPPED`, 'm').test(await containerd.ctrOk(['task', 'ls'])); i++) await sleep(100);
  await containerd.ctrOk(['task', 'delete', id]);
  await containerd.ctrOk(['containers', 'rm', id]);
}

function processes(match: (argv: string[]) => boolean): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((pid) => {
    try {
      return match(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean));
    } catch {
      return false;
    }
  }).map(Number);
}

async function waitGone(pid: number): Promise<boolean> {
  // Generous: the grace period, the reservation and a loaded machine.
  for (let i = 0; i < 1200 && isAlive(pid); i++) await sleep(100);
  return !isAlive(pid);
}

test.serial('a task within the grace period reuses the idle shim; with no task the shim leaves after it', async (t) => {
  const group = unique('reuse');
  const [first, second] = [unique('linger-a'), unique('linger-b')];
  const a = await runTask(first, group);
  // Past the start's reservation, so only the grace period can keep the shim.
  await sleep(RESERVATION_MS + 500);
  await removeTask(first);
  t.true(isAlive(a.shimPid), 'the shim stays after its last task');
  const b = await runTask(second, group);
  t.is(b.shimPid, a.shimPid, 'the second task is served by the same shim process');
  t.regex(await containerd.ctrOk(['task', 'ls']), new RegExp(`^${second}\\s+\\d+\\s+RUNNING`, 'm'));
  await removeTask(second);
  t.true(await waitGone(b.shimPid), 'the idle shim left after the grace period');
  t.deepEqual(readdirSync(dirname(b.groupDir)).filter((name) => name === b.groupDir.split('/').at(-1)), [], 'its group dir is removed');
});

test.serial('a start that arrives while the idle shim is leaving gets a new shim, and its task runs', async (t) => {
  const group = unique('leaving');
  const [first, second] = [unique('leaving-a'), unique('leaving-b')];
  const a = await runTask(first, group);
  await removeTask(first);
  // Hold the group's start lock (what a start verb does): the shim cannot leave, the next start waits.
  const lock = join(a.groupDir, 'start.lock');
  mkdirSync(lock);
  let released = false;
  const release = (): void => {
    if (!released) rmdirSync(lock);
    released = true;
  };
  const run = spawn(CTR, ['--address', containerd.address, '--namespace', 'default', 'run', ...R, '--annotation', `io.containerd.tsd.v2.group=${group}`, '-d', image, second, 'sleep', '1000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  run.stdout.on('data', (d: Buffer) => (output += d.toString()));
  run.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => run.once('close', resolve));
  let startVerb: number | undefined;
  try {
    // Stop the new task's start verb before it can take the lock, let the shim leave, then go on.
    for (let i = 0; i < 600 && startVerb === undefined; i++) {
      startVerb = processes((argv) => argv.some((arg) => arg.endsWith('shim.mjs')) && argv.includes(second) && argv.at(-1) === 'start')[0];
      if (startVerb === undefined) await sleep(50);
    }
    if (startVerb === undefined) throw new Error(`no start verb for ${second}: ${output}`);
    process.kill(startVerb, 'SIGSTOP');
    release();
    t.true(await waitGone(a.shimPid), 'the idle shim left (its grace period over, the lock free)');
  } finally {
    release();
    if (startVerb !== undefined) process.kill(startVerb, 'SIGCONT');
  }
  t.is(await exited, 0, output);
  const b = await runTask(unique('leaving-c'), group);
  t.not(b.shimPid, a.shimPid, 'a new shim serves the group');
  t.true(isAlive(b.shimPid));
  t.regex(await containerd.ctrOk(['task', 'ls']), new RegExp(`^${second}\\s+\\d+\\s+RUNNING`, 'm'));
  const exec = await containerd.ctr(['task', 'exec', '--exec-id', 'e1', second, 'echo', 'served']);
  t.is(exec.stdout, 'served\n', exec.stderr);
  await removeTask(second);
  await removeTask(unique('leaving-c'));
});
