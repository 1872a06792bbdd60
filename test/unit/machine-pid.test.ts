// Pid files are trusted only for a live process with the recorded start token whose command
// line names the machine directory. Uses real child processes, no fakes.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import { acquirePidFile, readLivePid, writePidFile } from '../../src/machine/pid-file.js';
import { isOurProcess, recordProcess } from '../../src/machine/process-identity.js';
import { cleanStale, observeMachine } from '../../src/machine/observe.js';
import { pathsIn } from '../../src/machine/paths.js';

async function tempDir(t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-pid-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A sleeping child whose command line names `dir` (as QEMU's and the agent's do). */
async function sleeper(t: { teardown: (fn: () => void) => void }, dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', join(dir, 'disk.qcow2')], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  t.teardown(() => child.kill('SIGKILL'));
  return child;
}

test('a live process is ours only with its start token and a command line naming the directory', async (t) => {
  const dir = await tempDir(t);
  const child = await sleeper(t, dir);
  const record = recordProcess(child.pid!);
  t.true(isOurProcess(record, dir));
  t.false(isOurProcess(record, join(dir, 'other')), 'another machine directory');
  t.false(isOurProcess(record, `${dir}x`), 'a directory that only shares a prefix');
  t.false(isOurProcess({ ...record, startToken: 'reused' }, dir), 'a reused pid');
  t.false(isOurProcess(recordProcess(process.pid), dir), 'a live process that does not name the directory');
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  t.false(isOurProcess(record, dir), 'a dead process');
});

test('acquirePidFile is exclusive while the holder lives, and retakes a stale file', async (t) => {
  const dir = await tempDir(t);
  const pidFile = join(dir, 'agent.pid');
  const child = await sleeper(t, dir);
  await writePidFile(pidFile, child.pid!);
  const error = await t.throwsAsync(acquirePidFile(pidFile, dir));
  t.is((error as TsdError).code, 'conflict');

  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  t.is(await readLivePid(pidFile, dir), undefined);
  const mine = await acquirePidFile(pidFile, join(dir, '..'));
  t.is(mine.pid, process.pid);
  t.is((JSON.parse(await readFile(pidFile, 'utf8')) as { pid: number }).pid, process.pid);

  await writeFile(pidFile, '{"pid": 12'); // torn write: stale, never trusted
  t.is(await readLivePid(pidFile, dir), undefined);
});

test('observeMachine reports a dead agent\'s machine as stopped and cleans what it left', async (t) => {
  const dir = await tempDir(t);
  const paths = pathsIn('m1', dir);
  const qemu = await sleeper(t, dir); // stands in for an orphaned QEMU of this machine
  await writePidFile(paths.qemuPid, qemu.pid!);
  await writeFile(paths.agentPid, JSON.stringify({ pid: process.pid, startToken: 'not-ours' }));
  await writeFile(paths.state, JSON.stringify({ state: 'running', accel: 'tcg', arch: 'x86_64', sshPort: 2222, startedAtMs: 1 }));
  await writeFile(paths.dockerSocket, '');
  const exited = new Promise((resolve) => qemu.once('exit', resolve));

  const observed = await observeMachine(paths);
  t.is(observed.state.state, 'stopped');
  t.is(observed.agentPid, undefined);
  t.true(observed.cleaned.some((item) => item.startsWith('qemu (pid')));
  t.true(observed.cleaned.includes('agent.pid'));
  t.true(observed.cleaned.includes('docker.sock'));
  await exited; // the orphaned QEMU was killed
  t.false(existsSync(paths.agentPid));
  t.false(existsSync(paths.dockerSocket));
  t.deepEqual(await cleanStale(paths), []);
});
