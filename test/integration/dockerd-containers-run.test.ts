// docker run/exec/logs/stop/kill/wait/rm with the real docker CLI against our dockerd; fixture
// images from a local registry. Runs on the tsd stack (tsd-containerd + our shim + tsd-runc) like
// the other container suites; TSD_CONTAINERS_STACK=debian runs it on Debian's containerd + runc.
import test from 'ava';
import { startBusyboxEngine, type BusyboxEngine } from '../helpers/busybox-engine.js';
import type { HostEngine } from '../helpers/host-engine.js';

let setup: BusyboxEngine | undefined;
let engine: HostEngine;

test.before(async () => {
  setup = await startBusyboxEngine();
  engine = setup.engine;
});

test.after.always(async () => {
  await setup?.stop();
});

test.serial('docker run --rm prints the output, exits 0 and leaves no container', async (t) => {
  const result = await engine.docker('run', '--rm', '--name', 'hello', 'busybox', 'echo', 'hi');
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, 'hi\n');
  t.is((await engine.docker('ps', '-a', '--filter', 'name=hello', '-q')).stdout, '');
});

test.serial('exit codes: the process status, 127 not found, 126 not executable, 125 daemon refusal', async (t) => {
  const three = await engine.docker('run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3');
  t.is(three.code, 3);
  t.is(three.stdout, 'out\n');
  t.is(three.stderr, 'err\n');
  const missing = await engine.docker('run', '--rm', 'busybox', 'no-such-binary');
  t.is(missing.code, 127);
  t.regex(missing.stderr, /executable file not found/);
  const notExec = await engine.docker('run', '--rm', 'busybox', '/etc/passwd');
  t.is(notExec.code, 126);
  t.regex(notExec.stderr, /permission denied/);
  const refused = await engine.docker('run', '--rm', '--memory', '1k', 'busybox', 'true');
  t.is(refused.code, 125);
  t.regex(refused.stderr, /Minimum memory limit allowed is 6MB/);
  // --rm containers that failed to start are gone too
  t.is((await engine.docker('ps', '-aq')).stdout, '');
});

test.serial('stdin is piped with -i, and Config fields reach the process', async (t) => {
  const piped = await engine.dockerWith({ input: 'from stdin\n' }, 'run', '--rm', '-i', 'busybox', 'cat');
  t.is(piped.stdout, 'from stdin\n');
  const fields = await engine.docker('run', '--rm', '-e', 'FOO=bar', '-w', '/tmp/work', '-u', 'nobody', '-h', 'myhost', 'busybox', 'sh', '-c', 'echo $FOO; pwd; id -u; hostname; cat /etc/hostname');
  t.is(fields.stdout, 'bar\n/tmp/work\n65534\nmyhost\nmyhost\n', fields.stderr);
  const entry = await engine.docker('run', '--rm', '--entrypoint', 'echo', 'busybox', 'a', 'b');
  t.is(entry.stdout, 'a b\n');
});

test.serial('-d, logs (follow, tail, timestamps, split streams), wait, inspect', async (t) => {
  const id = (await engine.dockerOk('run', '-d', '--name', 'logger', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; done; sleep 0.5; echo last; exit 7')).trim();
  t.regex(id, /^[a-f0-9]{64}$/);
  const followed = await engine.docker('logs', '-f', 'logger');
  t.is(followed.stdout, 'out1\nout2\nout3\nlast\n');
  t.is(followed.stderr, 'err1\nerr2\nerr3\n');
  t.is((await engine.dockerOk('wait', 'logger')).trim(), '7');
  const tail = await engine.docker('logs', '--tail', '1', 'logger');
  t.is(tail.stdout + tail.stderr, 'last\n');
  const stamped = await engine.docker('logs', '-t', 'logger');
  t.regex(stamped.stdout.split('\n')[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out1$/);
  const state = JSON.parse(await engine.dockerOk('inspect', '--format', '{{json .State}}', 'logger')) as Record<string, unknown>;
  t.like(state, { Status: 'exited', Running: false, ExitCode: 7, OOMKilled: false });
  const inspect = JSON.parse(await engine.dockerOk('inspect', 'logger'))[0] as Record<string, any>;
  t.is(inspect.Id, id);
  t.is(inspect.Name, '/logger');
  t.deepEqual(inspect.Config.Cmd, ['sh', '-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; done; sleep 0.5; echo last; exit 7']);
  t.is(inspect.Config.Image, 'busybox');
  t.regex(inspect.Image, /^sha256:[a-f0-9]{64}$/);
  t.is(inspect.HostConfig.NetworkMode, 'bridge');
  t.is(inspect.LogPath, `${engine.dataRoot}/containers/${id}/${id}-json.log`);
  await engine.dockerOk('rm', 'logger');
});

test.serial('exec: user, env, workdir, exit code, and inspect of the exec', async (t) => {
  await engine.dockerOk('run', '-d', '--name', 'execs', 'busybox', 'sleep', '300');
  const out = await engine.docker('exec', '-u', 'nobody', '-e', 'X=1', '-w', '/tmp', 'execs', 'sh', '-c', 'id -u; echo $X; pwd; exit 5');
  t.is(out.code, 5);
  t.is(out.stdout, '65534\n1\n/tmp\n');
  const missing = await engine.docker('exec', 'execs', 'no-such-binary');
  t.is(missing.code, 127);
  const created = await engine.api('POST', '/containers/execs/exec', { body: { Cmd: ['true'] } });
  t.is(created.status, 201);
  const execId = created.json<{ Id: string }>().Id;
  t.is((await engine.api('POST', `/exec/${execId}/start`, { body: { Detach: true } })).status, 200);
  let info: Record<string, unknown> = {};
  for (let i = 0; i < 100; i++) {
    info = (await engine.api('GET', `/exec/${execId}/json`)).json();
    if (info.Running === false && info.ExitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.like(info, { Running: false, ExitCode: 0, ContainerID: JSON.parse(await engine.dockerOk('inspect', '--format', '{{json .Id}}', 'execs')) });
  t.is((await engine.api('GET', '/exec/nope/json')).json<{ message: string }>().message, 'No such exec instance: nope');
  await engine.dockerOk('rm', '-f', 'execs');
});

test.serial('stop sends the stop signal, then SIGKILL after the timeout; kill; restart; rm -f', async (t) => {
  // A shell as PID 1 that traps TERM exits with our code; sleep as PID 1 ignores TERM.
  await engine.dockerOk('run', '-d', '--name', 'trapper', 'busybox', 'sh', '-c', 'trap "exit 42" TERM; while true; do sleep 0.1; done');
  await engine.dockerOk('stop', 'trapper');
  t.is((await engine.dockerOk('inspect', '--format', '{{.State.ExitCode}}', 'trapper')).trim(), '42');
  // PID 1 ignores signals it has no handler for: sleep stays through TERM and USR1.
  await engine.dockerOk('run', '-d', '--name', 'stubborn', 'busybox', 'sleep', '300');
  await engine.dockerOk('stop', '-t', '1', 'stubborn');
  t.is((await engine.dockerOk('inspect', '--format', '{{.State.ExitCode}}', 'stubborn')).trim(), '137');
  await engine.dockerOk('start', 'stubborn');
  t.is((await engine.dockerOk('inspect', '--format', '{{.State.Running}}', 'stubborn')).trim(), 'true');
  await engine.dockerOk('kill', '-s', 'USR1', 'stubborn');
  t.is((await engine.dockerOk('inspect', '--format', '{{.State.Running}}', 'stubborn')).trim(), 'true');
  await engine.dockerOk('kill', 'stubborn');
  t.is((await engine.dockerOk('wait', 'stubborn')).trim(), '137');
  const notRunning = await engine.docker('kill', 'stubborn');
  t.is(notRunning.code, 1);
  t.regex(notRunning.stderr, /is not running/);
  await engine.dockerOk('restart', '-t', '0', 'stubborn');
  const running = await engine.docker('rm', 'stubborn');
  t.regex(running.stderr, /cannot remove container "\/stubborn": container is running: stop the container before removing or force remove/);
  await engine.dockerOk('rm', '-f', 'stubborn', 'trapper');
  t.is((await engine.docker('ps', '-aq')).stdout, '');
});
