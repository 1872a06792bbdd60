// Limits, tty, ps filters, update/top/stats, bad input, restart policies, healthchecks and live
// restore, with the real docker CLI against our dockerd on the tsd stack (TSD_CONTAINERS_STACK=debian:
// Debian's containerd + runc underneath).
import test from 'ava';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
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

async function inspect(name: string, format: string): Promise<string> {
  return (await engine.dockerOk('inspect', '--format', format, name)).trim();
}

/** Polls a condition of the engine's state (no fixed sleeps): up to 60 s, then fails with what it saw. */
async function eventually(check: () => Promise<string>, want: string): Promise<string> {
  let seen = '';
  for (let i = 0; i < 600; i++) {
    seen = await check();
    if (seen === want) return seen;
    await new Promise((r) => setTimeout(r, 100));
  }
  return seen;
}

const cgroupV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
function cgroupFile(controller: string, id: string, file: string): string {
  return cgroupV2 ? `/sys/fs/cgroup${engine.cgroupParent}/${id}/${file}` : `/sys/fs/cgroup/${controller}${engine.cgroupParent}/${id}/${file}`;
}

test.serial('limits are really applied to the cgroup, docker update changes them live, top and stats read them', async (t) => {
  const id = (await engine.dockerOk('run', '-d', '--name', 'limited', '--memory', '64m', '--pids-limit', '50', '--cpus', '0.5', '--cpu-shares', '512', 'busybox', 'sleep', '300')).trim();
  const memoryFile = cgroupV2 ? 'memory.max' : 'memory.limit_in_bytes';
  t.is((await readFile(cgroupFile('memory', id, memoryFile), 'utf8')).trim(), String(64 << 20));
  t.is((await readFile(cgroupFile('pids', id, 'pids.max'), 'utf8')).trim(), '50');
  if (!cgroupV2) t.is((await readFile(cgroupFile('cpu', id, 'cpu.cfs_quota_us'), 'utf8')).trim(), '50000');
  // The process inside sees the same limit.
  t.is((await engine.dockerOk('exec', 'limited', 'cat', `/sys/fs/cgroup/${cgroupV2 ? '' : 'memory/'}${memoryFile}`)).trim(), String(64 << 20));
  await engine.dockerOk('update', '--memory', '128m', '--memory-swap', '256m', 'limited');
  t.is((await readFile(cgroupFile('memory', id, memoryFile), 'utf8')).trim(), String(128 << 20));
  t.is(await inspect('limited', '{{.HostConfig.Memory}}'), String(128 << 20));
  const top = await engine.dockerOk('top', 'limited');
  t.regex(top, /sleep 300/);
  const stats = await engine.api('GET', '/containers/limited/stats?stream=false');
  const sample = stats.json<{ memory_stats: { limit: number; usage: number }; pids_stats: { current: number; limit: number } }>();
  t.is(sample.memory_stats.limit, 128 << 20);
  t.true(sample.memory_stats.usage > 0);
  t.deepEqual(sample.pids_stats, { current: 1, limit: 50 });
  await engine.dockerOk('rm', '-f', 'limited');
});

test.serial('-it runs the process on a terminal and returns its exit code', async (t) => {
  const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn('script', ['-qec', 'docker run -it --rm busybox sh -c "tty; exit 3"', '/dev/null'], { env: { ...process.env, DOCKER_HOST: `unix://${engine.socketPath}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
  t.is(result.code, 3);
  t.regex(result.out, /\/dev\/pts\/0/);
});

test.serial('ps filters: status, name, label, exited, ancestor, id', async (t) => {
  await engine.dockerOk('run', '-d', '--name', 'alpha', '--label', 'team=a', 'busybox', 'sleep', '300');
  t.is((await engine.docker('run', '--name', 'beta', '--label', 'team=b', 'busybox', 'sh', '-c', 'exit 2')).code, 2);
  await engine.dockerOk('create', '--name', 'gamma', 'busybox', 'true');
  const names = async (...args: string[]): Promise<string> => (await engine.dockerOk('ps', '--format', '{{.Names}}', ...args)).trim().split('\n').sort().join(',');
  t.is(await names(), 'alpha');
  t.is(await names('-a'), 'alpha,beta,gamma');
  t.is(await names('-a', '--filter', 'status=exited'), 'beta');
  t.is(await names('-a', '--filter', 'status=created'), 'gamma');
  t.is(await names('-a', '--filter', 'label=team=b'), 'beta');
  t.is(await names('-a', '--filter', 'label=team'), 'alpha,beta');
  t.is(await names('-a', '--filter', 'exited=2'), 'beta');
  t.is(await names('-a', '--filter', 'name=amm'), 'gamma');
  t.is(await names('-a', '--filter', 'ancestor=busybox'), 'alpha,beta,gamma');
  const alphaId = await inspect('alpha', '{{.Id}}');
  t.is(await names('-a', '--filter', `id=${alphaId.slice(0, 10)}`), 'alpha');
  const bad = await engine.api('GET', `/containers/json?filters=${encodeURIComponent('{"status":{"bogus":true}}')}`);
  t.is(bad.status, 400);
  t.is(bad.json<{ message: string }>().message, "invalid filter 'status=bogus'");
  await engine.dockerOk('rename', 'gamma', 'delta');
  t.is(await names('-a', '--filter', 'name=delta'), 'delta');
  await engine.dockerOk('rm', '-f', 'alpha', 'beta', 'delta');
});

test.serial('bad input: Docker-shaped 404, 409 and 400 bodies, and the daemon keeps serving', async (t) => {
  const missing = await engine.api('GET', '/containers/nope/json');
  t.is(missing.status, 404);
  t.deepEqual(missing.json(), { message: 'No such container: nope' });
  await engine.dockerOk('create', '--name', 'taken', 'busybox', 'true');
  const conflict = await engine.docker('create', '--name', 'taken', 'busybox', 'true');
  t.is(conflict.code, 1);
  t.regex(conflict.stderr, /Conflict\. The container name "\/taken" is already in use by container "[a-f0-9]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\./);
  const badName = await engine.api('POST', '/containers/create?name=-bad', { body: { Image: 'busybox' } });
  t.is(badName.status, 400);
  t.deepEqual(badName.json(), { message: 'Invalid container name (-bad), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' });
  const badType = await engine.api('POST', '/containers/create', { body: { Image: 'busybox', Env: 'A=1' } });
  t.is(badType.status, 400);
  t.regex(badType.json<{ message: string }>().message, /cannot unmarshal string into Go struct field Config\.Env of type \[\]string/);
  const malformed = await engine.api('POST', '/containers/create', { body: '{"Image": ' });
  t.is(malformed.status, 400);
  const noImage = await engine.api('POST', '/containers/create', { body: { Image: 'no-such-image:1' } });
  t.is(noImage.status, 404);
  t.regex(noImage.json<{ message: string }>().message, /No such image: no-such-image:1/);
  const badCap = await engine.docker('run', '--rm', '--cap-add', 'BOGUS', 'busybox', 'true');
  t.regex(badCap.stderr, /unknown capability: "CAP_BOGUS"/);
  const badRestart = await engine.api('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } } } });
  t.deepEqual(badRestart.json(), { message: "invalid restart policy: maximum retry count can only be used with 'on-failure'" });
  const badSignal = await engine.api('POST', '/containers/taken/kill?signal=SIGNOPE');
  t.is(badSignal.status, 400);
  const stopStopped = await engine.api('POST', '/containers/taken/stop');
  t.is(stopStopped.status, 304);
  const noStream = await engine.api('GET', '/containers/taken/logs');
  t.deepEqual(noStream.json(), { message: 'You must choose at least one stream' });
  t.is((await engine.api('GET', '/_ping')).status, 200);
  await engine.dockerOk('rm', 'taken');
});

test.serial('restart policies: on-failure:N retries N times, always restarts, a user stop is final', async (t) => {
  await engine.dockerOk('run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3');
  t.is(await eventually(() => inspect('flaky', '{{.RestartCount}} {{.State.Status}}'), '2 exited'), '2 exited');
  await engine.dockerOk('run', '-d', '--name', 'phoenix', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.2; exit 0');
  t.is(await eventually(async () => String(Number(await inspect('phoenix', '{{.RestartCount}}')) >= 2), 'true'), 'true');
  await engine.dockerOk('stop', 'phoenix');
  const count = await inspect('phoenix', '{{.RestartCount}}');
  t.is(await inspect('phoenix', '{{.State.Status}}'), 'exited');
  t.is(await inspect('phoenix', '{{.RestartCount}}'), count);
  await engine.dockerOk('rm', '-f', 'flaky', 'phoenix');
});

test.serial('healthcheck: State.Health goes healthy, then unhealthy when the check starts failing', async (t) => {
  await engine.dockerOk('run', '-d', '--name', 'doctor', '--health-cmd', 'test ! -e /tmp/sick', '--health-interval', '200ms', '--health-retries', '2', 'busybox', 'sleep', '300');
  t.is(await eventually(() => inspect('doctor', '{{.State.Health.Status}}'), 'healthy'), 'healthy');
  await engine.dockerOk('exec', 'doctor', 'touch', '/tmp/sick');
  t.is(await eventually(() => inspect('doctor', '{{.State.Health.Status}}'), 'unhealthy'), 'unhealthy');
  const health = JSON.parse(await inspect('doctor', '{{json .State.Health}}')) as { FailingStreak: number; Log: { ExitCode: number }[] };
  t.true(health.FailingStreak >= 2);
  t.is(health.Log.at(-1)!.ExitCode, 1);
  t.regex(await engine.dockerOk('ps', '--filter', 'health=unhealthy', '--format', '{{.Names}} {{.Status}}'), /doctor Up .* \(unhealthy\)/);
  await engine.dockerOk('rm', '-f', 'doctor');
});

test.serial('live restore: a container keeps running across a dockerd restart and its logs keep flowing', async (t) => {
  await engine.dockerOk('run', '-d', '--name', 'survivor', 'busybox', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.2; done');
  const pid = await inspect('survivor', '{{.State.Pid}}');
  // kill -9 dockerd; the launcher starts it again, like a supervisor would.
  await engine.crash('dockerd', 'SIGKILL');
  t.true(await readFile(`/proc/${pid}/status`, 'utf8').then(() => true, () => false), 'the container process outlived dockerd');
  t.is(await inspect('survivor', '{{.State.Status}} {{.State.Pid}}'), `running ${pid}`);
  const before = (await engine.dockerOk('logs', 'survivor')).split('\n').filter(Boolean).length;
  const after = await eventually(async () => String((await engine.dockerOk('logs', 'survivor')).split('\n').filter(Boolean).length > before + 2), 'true');
  t.is(after, 'true', 'new log lines arrive after the restart');
  await engine.dockerOk('stop', '-t', '1', 'survivor');
  t.is(await inspect('survivor', '{{.State.Status}}'), 'exited');
  await engine.dockerOk('rm', 'survivor');
});

test.serial('seccomp: the default profile refuses a new user namespace; unconfined, CAP_SYS_ADMIN and a custom profile change that', async (t) => {
  const script = 'unshare -U true 2>/dev/null; echo unshare=$?; mkdir /tmp/d 2>/dev/null; echo mkdir=$?';
  t.is(await engine.dockerOk('run', '--rm', 'busybox', 'sh', '-c', script), 'unshare=1\nmkdir=0\n');
  t.is(await engine.dockerOk('run', '--rm', '--security-opt', 'seccomp=unconfined', 'busybox', 'sh', '-c', script), 'unshare=0\nmkdir=0\n');
  t.is(await engine.dockerOk('run', '--rm', '--cap-add', 'SYS_ADMIN', 'busybox', 'sh', '-c', script), 'unshare=0\nmkdir=0\n');
  // The CLI reads the profile file and sends its content.
  const profile = join(engine.dir, 'no-mkdir.json');
  await writeFile(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
  t.is(await engine.dockerOk('run', '--rm', '--security-opt', `seccomp=${profile}`, 'busybox', 'sh', '-c', script), 'unshare=0\nmkdir=1\n');
  const privileged = await engine.dockerOk('run', '--rm', '--privileged', 'busybox', 'sh', '-c', 'grep -E "^(Seccomp|CapEff):" /proc/self/status');
  t.regex(privileged, /Seccomp:\s+0/);
  t.regex(await engine.dockerOk('run', '--rm', 'busybox', 'grep', '^Seccomp:', '/proc/self/status'), /Seccomp:\s+2/);
});

test.serial('restart policy across an engine restart: an always container that died while dockerd was down is started again', async (t) => {
  await engine.dockerOk('run', '-d', '--name', 'keeper', '--restart', 'always', 'busybox', 'sleep', '300');
  await engine.dockerOk('run', '-d', '--name', 'stopped-by-user', '--restart', 'unless-stopped', 'busybox', 'sleep', '300');
  await engine.dockerOk('stop', '-t', '0', 'stopped-by-user');
  const pid = Number(await inspect('keeper', '{{.State.Pid}}'));
  // The container dies while dockerd is down (stopped, then killed; the launcher starts it again).
  await engine.crash('dockerd', 'SIGKILL', { whileDown: async () => void process.kill(pid, 'SIGKILL') });
  // The exit may be noticed at restore or by the exit monitor right after; either way it restarts.
  t.is(await eventually(() => inspect('keeper', '{{.RestartCount}} {{.State.Status}}'), '1 running'), '1 running');
  t.not(Number(await inspect('keeper', '{{.State.Pid}}')), pid);
  t.is(await inspect('stopped-by-user', '{{.State.Status}}'), 'exited');
  await engine.dockerOk('rm', '-f', 'keeper', 'stopped-by-user');
});
