// daemon.json `live-restore` with the real docker CLI against our dockerd (host mode). Off (dockerd's
// default): a SIGTERM of dockerd stops the running containers with their stop signal and timeout,
// and after a kill -9 the containers found running are stopped at start; then the restart
// policies apply. On (SIGHUP reload here): containers keep running across a dockerd restart. The
// host-mode launcher turns it on when the user's daemon.json does not say.
import test from 'ava';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { stackFromEnv, startHostEngine, type HostEngine } from '../helpers/host-engine.js';

let fixtures: FixtureRegistry;
let engine: HostEngine;

test.before(async () => {
  fixtures = await startFixtureRegistry({ nginx: false });
  engine = await startHostEngine({ registry: fixtures.host, stack: stackFromEnv(), daemonJson: { 'live-restore': false } });
  await engine.dockerOk('pull', 'busybox');
});

test.after.always(async () => {
  await engine?.stop();
  await fixtures?.stop();
});

async function inspect(name: string, format: string): Promise<string> {
  return (await engine.dockerOk('inspect', '--format', format, name)).trim();
}

/** Polls the engine's state (100 ms apart, up to 60 s); returns what it saw last. */
async function eventually(check: () => Promise<string>, want: string): Promise<string> {
  let seen = '';
  for (let i = 0; i < 600; i++) {
    seen = await check().catch((error: Error) => error.message);
    if (seen === want) return seen;
    await new Promise((r) => setTimeout(r, 100));
  }
  return seen;
}

const alive = (pid: string): boolean => existsSync(`/proc/${pid}`);
/** Ends at SIGTERM with `code`, after saying so (busy-waits in short sleeps: the trap runs between them). */
const trapping = (code: number): string => `trap "echo got-term; exit ${code}" TERM; echo up; while true; do sleep 0.1; done`;

test.serial('live-restore off, SIGTERM to dockerd: running containers are stopped (stop signal, then SIGKILL after the stop timeout); restart policies apply at the next start', async (t) => {
  t.is((await engine.dockerOk('info', '--format', '{{.LiveRestoreEnabled}}')).trim(), 'false');
  await engine.dockerOk('run', '-d', '--name', 'graceful', 'busybox', 'sh', '-c', trapping(7));
  // sleep as PID 1 ignores SIGTERM: killed once its 1 s stop timeout is over.
  await engine.dockerOk('run', '-d', '--name', 'stubborn', '--stop-timeout', '1', 'busybox', 'sleep', '300');
  await engine.dockerOk('run', '-d', '--name', 'keeper', '--restart', 'always', '--stop-timeout', '1', 'busybox', 'sleep', '300');
  await engine.dockerOk('run', '-d', '--name', 'quitter', '--restart', 'unless-stopped', '--stop-timeout', '1', 'busybox', 'sleep', '300');
  await engine.dockerOk('stop', 'quitter');
  t.is(await eventually(async () => (await engine.dockerOk('logs', 'graceful')), 'up\n'), 'up\n');
  const pids = { graceful: await inspect('graceful', '{{.State.Pid}}'), stubborn: await inspect('stubborn', '{{.State.Pid}}'), keeper: await inspect('keeper', '{{.State.Pid}}') };

  await engine.crash('dockerd', 'SIGTERM');

  for (const [name, pid] of Object.entries(pids)) t.false(alive(pid), `${name}'s process ${pid} is gone`);
  t.is(await inspect('graceful', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 7');
  t.is(await engine.dockerOk('logs', 'graceful'), 'up\ngot-term\n');
  t.is(await inspect('stubborn', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137');
  // always: started again by the new dockerd (a new process); unless-stopped stopped by the user stays stopped.
  t.is(await eventually(() => inspect('keeper', '{{.State.Status}}'), 'running'), 'running');
  t.not(await inspect('keeper', '{{.State.Pid}}'), pids.keeper);
  t.true(alive(await inspect('keeper', '{{.State.Pid}}')));
  t.is(await inspect('quitter', '{{.State.Status}}'), 'exited');
  await engine.dockerOk('rm', '-f', 'graceful', 'stubborn', 'keeper', 'quitter');
});

test.serial('live-restore off, kill -9 of dockerd: containers found running at start are stopped with their stop signal, then their policies apply', async (t) => {
  await engine.dockerOk('run', '-d', '--name', 'orphan', 'busybox', 'sh', '-c', trapping(3));
  await engine.dockerOk('run', '-d', '--name', 'phoenix', '--restart', 'always', '--stop-timeout', '1', 'busybox', 'sleep', '300');
  await engine.dockerOk('run', '-d', '--name', 'flaky', '--restart', 'on-failure', 'busybox', 'sh', '-c', trapping(5));
  await engine.dockerOk('run', '-d', '--name', 'calm', '--restart', 'on-failure', 'busybox', 'sh', '-c', trapping(0));
  t.is(await eventually(async () => (await engine.dockerOk('logs', 'calm')), 'up\n'), 'up\n');
  const pids = { orphan: await inspect('orphan', '{{.State.Pid}}'), phoenix: await inspect('phoenix', '{{.State.Pid}}'), flaky: await inspect('flaky', '{{.State.Pid}}'), calm: await inspect('calm', '{{.State.Pid}}') };

  await engine.crash('dockerd', 'SIGKILL');

  t.is(await eventually(() => inspect('orphan', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 3'), 'exited 3');
  t.is(await engine.dockerOk('logs', 'orphan'), 'up\ngot-term\n');
  t.is(await eventually(() => inspect('calm', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 0'), 'exited 0', 'on-failure after exit 0: not restarted');
  for (const name of ['phoenix', 'flaky']) {
    t.is(await eventually(async () => `${await inspect(name, '{{.State.Status}}')} ${(await inspect(name, '{{.State.Pid}}')) !== pids[name as 'phoenix']}`, 'running true'), 'running true', name);
  }
  t.is(await engine.dockerOk('logs', 'flaky'), 'up\ngot-term\nup\n', 'flaky was stopped (SIGTERM), then started again');
  for (const [name, pid] of Object.entries(pids)) t.false(alive(pid), `${name}'s first process ${pid} is gone`);
  await engine.dockerOk('rm', '-f', 'orphan', 'phoenix', 'flaky', 'calm');
});

test.serial('live-restore on (reloaded with SIGHUP): a container keeps running, the same process, across a SIGTERM restart of dockerd', async (t) => {
  const file = join(engine.dir, 'engine', 'daemon.json');
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  await writeFile(file, JSON.stringify({ ...config, 'live-restore': true }));
  process.kill(await engine.pid('dockerd'), 'SIGHUP');
  t.is(await eventually(async () => (await engine.dockerOk('info', '--format', '{{.LiveRestoreEnabled}}')).trim(), 'true'), 'true');
  await engine.dockerOk('run', '-d', '--name', 'stayer', 'busybox', 'sh', '-c', trapping(9));
  const pid = await inspect('stayer', '{{.State.Pid}}');

  await engine.crash('dockerd', 'SIGTERM');

  t.true(alive(pid));
  t.is(await inspect('stayer', '{{.State.Status}} {{.State.Pid}}'), `running ${pid}`);
  // Re-attached: its output still reaches the log, and a stop works through the new dockerd.
  await engine.dockerOk('stop', 'stayer');
  t.is(await inspect('stayer', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 9');
  t.is(await engine.dockerOk('logs', 'stayer'), 'up\ngot-term\n');
  await engine.dockerOk('rm', 'stayer');
  await writeFile(file, JSON.stringify(config));
});

test.serial('the host-mode launcher turns live-restore on when the daemon.json does not set it (and info shows its log-driver)', async (t) => {
  const plain = await startHostEngine({ stack: stackFromEnv(), daemonJson: { 'log-driver': 'none' } });
  try {
    t.is((await plain.dockerOk('info', '--format', '{{.LiveRestoreEnabled}} {{.LoggingDriver}}')).trim(), 'true none');
    t.is((JSON.parse(await readFile(join(plain.dir, 'engine', 'daemon.json'), 'utf8')) as Record<string, unknown>)['live-restore'], true);
  } finally {
    await plain.stop();
  }
});
