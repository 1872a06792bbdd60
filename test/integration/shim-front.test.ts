/**
 * containerd-shim-tsd-v2's C front end (guest/native/shim-front.c) under Debian's real containerd:
 * with the namespace's group shim serving (started by the Node start verb), `start` runs in C —
 * it reserves the live shim with a ttrpc Connect, writes <bundle>/address, links <bundle>/shim.log
 * and prints the address — and every other case execs Node with the wrapper's arguments.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBusyboxContainerd, type BusyboxContainerd } from '../helpers/busybox-containerd.js';
import { isAlive } from '../helpers/process-alive.js';
import { SHIM_RUNTIME } from '../helpers/debian-containerd.js';

const SHIM = resolve('bin/containerd-shim-tsd-v2');
const SHIM_MJS = resolve('dist/guest/shim.mjs');
// The shims containerd starts here leave as soon as they are idle and unreserved.
process.env['TSD_SHIM_IDLE_SECONDS'] = '0';

let setup: BusyboxContainerd;
const bundles: string[] = [];

test.before(async () => {
  setup = await startBusyboxContainerd();
});

test.after.always(async () => {
  await setup?.stop();
  for (const dir of bundles) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function bundle(config: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-shim-front-'));
  bundles.push(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** Runs the shim binary as containerd does, in `cwd`; the front end's Node is `node` (echo: shows the exec). */
function runShim(cwd: string, args: string[], env: Record<string, string | undefined>): { status: number | null; stdout: string; stderr: string } {
  const base = { ...process.env };
  delete base['TSD_SHIM_IDLE_SECONDS'];
  const result = spawnSync(SHIM, args, { cwd, env: { ...base, ...env } as NodeJS.ProcessEnv, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function shimServing(socket: string): number {
  const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv.some((arg) => arg.endsWith('shim.mjs')) && argv.includes(socket) && argv.includes('serve');
    } catch {
      return false;
    }
  });
  if (pids.length !== 1) throw new Error(`expected one shim serving ${socket}, found ${pids.length}`);
  return Number(pids[0]);
}

test.serial('start reserves the live group shim in C; the reservation keeps the idle shim', async (t) => {
  const { containerd, image } = setup;
  const id = `front-a-${process.pid}`;
  await containerd.ctrOk(['run', '--runtime', SHIM_RUNTIME, '-d', image, id, 'sleep', '1000']);
  const taskBundle = join(containerd.state, 'io.containerd.runtime.v2.task', 'default', id);
  const address = readFileSync(join(taskBundle, 'address'), 'utf8');
  const shimPid = shimServing(address.replace('unix://', ''));
  // Past the reservation its own start gave it (task-service.ts: START_RESERVATION_MS), so that
  // only a new Connect can keep it once its task is gone.
  await sleep(10_500);

  // TSD_SHIM_NODE names no program: only a start done entirely in C can succeed.
  const dir = bundle({ ociVersion: '1.0.2', annotations: { 'org.example': 'x' } });
  const probe = `front-probe-${process.pid}`;
  const run = runShim(dir, ['-namespace', 'default', '-address', containerd.address, '-publish-binary', '/usr/bin/containerd', '-id', probe, 'start'], { TSD_SHIM_NODE: '/nonexistent/node' });
  t.is(run.status, 0, run.stderr);
  t.is(run.stdout, address, 'prints exactly the address, as the Node start verb does');
  t.is(run.stderr, '');
  t.is(readFileSync(join(dir, 'address'), 'utf8'), address);
  t.is(readlinkSync(join(dir, 'shim.log')), readlinkSync(join(taskBundle, 'shim.log')));
  t.deepEqual(readdirSync(dir).sort(), ['address', 'config.json', 'shim.log'], 'no temporary or lock left behind');

  // With its only task gone and a grace period of 0 the shim leaves at once — unless the C start's
  // Connect reserved it.
  await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
  for (let i = 0; i < 200 && !/STOPPED/.test(await containerd.ctrOk(['task', 'ls'])); i++) await sleep(100);
  await containerd.ctrOk(['task', 'delete', id]);
  await containerd.ctrOk(['containers', 'rm', id]);
  t.true(isAlive(shimPid), 'the reserved shim stays');
  for (let i = 0; i < 600 && isAlive(shimPid); i++) await sleep(100);
  t.false(isAlive(shimPid), 'and leaves once the reservation is over');

  // No live shim now: the front end execs Node.
  const after = runShim(dir, ['-namespace', 'default', '-address', containerd.address, '-id', probe, 'start'], { TSD_SHIM_NODE: '/bin/echo' });
  t.is(after.stdout, `--no-warnings ${SHIM_MJS} -namespace default -address ${containerd.address} -id ${probe} start\n`);
});

test.serial('every other case execs Node with the same arguments', async (t) => {
  const { containerd } = setup;
  const plain = bundle({ ociVersion: '1.0.2' });
  const grouped = bundle({ ociVersion: '1.0.2', annotations: { 'io.containerd.tsd.v2.group': 'g' } });
  const start = ['-namespace', 'default', '-address', containerd.address, '-id', 'x', 'start'];
  const cases: Array<{ title: string; cwd: string; args: string[]; env?: Record<string, string> }> = [
    { title: 'a group annotation', cwd: grouped, args: start },
    { title: 'TSD_SHIM_IDLE_SECONDS set', cwd: plain, args: start, env: { TSD_SHIM_IDLE_SECONDS: '30' } },
    { title: 'no live shim in the namespace', cwd: plain, args: ['-namespace', `none-${process.pid}`, '-address', containerd.address, '-id', 'x', 'start'] },
    { title: 'delete', cwd: plain, args: ['-namespace', 'default', '-address', containerd.address, '-id', 'x', '-bundle', plain, 'delete'] },
    { title: 'version', cwd: plain, args: ['-v'] },
    { title: 'an unknown flag', cwd: plain, args: ['-bogus', 'start'] },
  ];
  for (const c of cases) {
    const run = runShim(c.cwd, c.args, { TSD_SHIM_NODE: '/bin/echo', ...c.env });
    t.is(run.status, 0, c.title);
    t.is(run.stdout, `--no-warnings ${SHIM_MJS} ${c.args.join(' ')}\n`, c.title);
  }
  t.deepEqual(readdirSync(plain), ['config.json'], 'the fall-backs wrote nothing');
});
