// A machine's whole life under real QEMU (tcg here), driven through the real `tsd` CLI (dist/,
// built by `npm run build`) and checked with the real docker CLI. One machine, two boots:
// start → docker/ssh/folders → stop → (stale files planted) → start → data still there → delete.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const ROOT = new URL('../../', import.meta.url).pathname;
const TSD = join(ROOT, 'bin', 'run.js');
const DOCKER = '/usr/local/bin/docker';
const NAME = `e2e-${randomBytes(3).toString('hex')}`;
const BOOT_TIMEOUT = 8 * 60_000; // a tcg boot that hangs is retried once by the agent

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let home = '';
let env: NodeJS.ProcessEnv = {};
let shared = '';
let machineDir = '';

function run(file: string, args: string[], timeout = BOOT_TIMEOUT): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const tsd = (...args: string[]) => run(process.execPath, [TSD, ...args]);

async function status(): Promise<Record<string, unknown>> {
  const result = await tsd('machine', 'status', NAME, '--json');
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** Pids recorded by the agent; killed in cleanup if a test failed half-way. */
function recordedPid(file: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(machineDir, file), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

test.before(async () => {
  home = await mkdtemp(join(tmpdir(), 'tsd-e2e-'));
  shared = join(home, 'shared');
  await mkdir(shared);
  env = { ...process.env, TSD_HOME: join(home, 'h'), DOCKER_CONFIG: join(home, 'docker') };
  machineDir = join(home, 'h', 'machines', NAME);
  await writeFile(
    join(home, 'machine.yaml'),
    ['cpus: 2', 'memory: 1GiB', 'disk: 2', 'mounts:', `  - location: ${shared}`, '    writable: true', ''].join('\n'),
  );
});

test.after.always(async () => {
  // Only processes this test started: the agent and QEMU recorded in the machine's pid files.
  for (const pid of [recordedPid('agent.pid'), recordedPid('qemu.pid')]) {
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await rm(home, { recursive: true, force: true });
});

test.serial('an invalid machine file is refused, naming the file, line and key', async (t) => {
  const bad = join(home, 'bad.yaml');
  await writeFile(bad, 'cpus: 2\nmemroy: 1GiB\n');
  const result = await tsd('machine', 'create', NAME, '-f', bad);
  t.is(result.code, 2, result.stderr);
  t.regex(result.stderr, /bad\.yaml:2:\d+: memroy/);
  t.false(existsSync(machineDir));
});

test.serial('start: the docker CLI reaches the guest engine through the host socket', async (t) => {
  t.timeout(BOOT_TIMEOUT);
  t.is((await tsd('machine', 'create', NAME, '-f', join(home, 'machine.yaml'))).code, 0);
  const started = await tsd('machine', 'start', NAME);
  t.is(started.code, 0, `${started.stderr}\n${started.stdout}`);
  t.regex(started.stdout, new RegExp(`docker --context tsd-${NAME}`));

  const s = await status();
  t.deepEqual(Object.keys(s).sort(), ['accel', 'arch', 'cpus', 'dockerSocket', 'memory', 'name', 'sshPort', 'state', 'uptimeSeconds']);
  t.like(s, { name: NAME, state: 'running', cpus: 2, memory: 1024, dockerSocket: join(machineDir, 'docker.sock') });
  t.true(['hvf', 'whpx', 'kvm', 'tcg'].includes(s.accel as string));
  t.is(typeof s.sshPort, 'number');

  const host = `unix://${s.dockerSocket as string}`;
  const version = await run(DOCKER, ['-H', host, 'version', '--format', '{{.Server.Os}}/{{.Server.Arch}} {{.Server.APIVersion}}'], 60_000);
  t.is(version.code, 0, version.stderr);
  t.regex(version.stdout.trim(), /^linux\/amd64 1\.\d+$/);
  const info = await run(DOCKER, ['-H', host, 'info', '--format', '{{.OSType}} {{.NCPU}} {{.KernelVersion}}'], 60_000);
  t.is(info.code, 0, info.stderr);
  t.regex(info.stdout.trim(), /^linux 2 \d+\.\d+/);

  // The context was created but not made current.
  const viaContext = await run(DOCKER, ['--context', `tsd-${NAME}`, 'version', '--format', '{{.Server.Os}}'], 60_000);
  t.is(viaContext.stdout.trim(), 'linux', viaContext.stderr);
  const config = join(home, 'docker', 'config.json');
  t.false(existsSync(config) && readFileSync(config, 'utf8').includes('currentContext'));
});

test.serial('ssh runs a command and passes its exit code through', async (t) => {
  const uname = await tsd('machine', 'ssh', NAME, '--', 'uname', '-r');
  t.is(uname.code, 0, uname.stderr);
  t.regex(uname.stdout.trim(), /^\d+\.\d+\.\d+/);
  const failing = await tsd('machine', 'ssh', NAME, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3');
  t.is(failing.code, 3);
  t.is(failing.stdout, 'out\n');
  t.is(failing.stderr, 'err\n');
});

test.serial('when the guest sshd restarts, the agent reconnects, sets the guest clock again, and the socket works', async (t) => {
  t.timeout(4 * 60_000);
  const agentLog = join(machineDir, 'agent.log');
  const restored = async () => ((await readFile(agentLog, 'utf8')).match(/ssh connection to the guest restored/g) ?? []).length;
  const before = await restored();
  // Put the guest clock 20 years back: the reconnect must set it from the host again.
  const skew = await tsd('machine', 'ssh', NAME, '--', 'date -s @1000000000 >/dev/null && date +%s');
  t.true(Number(skew.stdout.trim()) < 1_000_000_100, skew.stderr);
  // End the guest's sshd (the node process running /opt/tsd/sshd.cjs, or sshd.mjs) from a detached job, so that this
  // session is over first; the init's supervisor starts it again.
  const killer = '(sleep 1; for p in /proc/[0-9]*; do [ "$(readlink $p/exe)" = /usr/bin/node ] && grep -q /opt/tsd/sshd. $p/cmdline && kill ${p#/proc/}; done) </dev/null >/dev/null 2>&1 &';
  t.is((await tsd('machine', 'ssh', NAME, '--', killer)).code, 0);
  const deadline = Date.now() + 3 * 60_000;
  while ((await restored()) === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
  t.true((await restored()) > before, `no reconnect in agent.log:\n${(await readFile(agentLog, 'utf8')).slice(-2000)}`);
  t.regex(await readFile(agentLog, 'utf8'), /ssh connection to the guest dropped; reconnecting/);

  const s = await status();
  const version = await run(DOCKER, ['-H', `unix://${s.dockerSocket as string}`, 'version', '--format', '{{.Server.Os}}'], 60_000);
  t.is(version.stdout.trim(), 'linux', version.stderr);
  const clock = await tsd('machine', 'ssh', NAME, '--', 'date +%s');
  // not a precision check: 20 years back before, the host's time (give or take the ssh round trips) after
  t.true(Math.abs(Number(clock.stdout.trim()) - Date.now() / 1000) < 3600, `guest clock ${clock.stdout.trim()} vs host ${Math.round(Date.now() / 1000)}`);
});

test.serial('starting a running machine is refused', async (t) => {
  const again = await tsd('machine', 'start', NAME);
  t.is(again.code, 5);
  t.regex(again.stderr, /already running/);
});

test.serial('a host folder from the machine file is readable and writable at the same path', async (t) => {
  const token = randomBytes(8).toString('hex');
  await writeFile(join(shared, 'from-host.txt'), token);
  const read = await tsd('machine', 'ssh', NAME, '--', 'cat', join(shared, 'from-host.txt'));
  t.is(read.stdout, token, read.stderr);
  const write = await tsd('machine', 'ssh', NAME, '--', `echo ${token}-guest > ${join(shared, 'from-guest.txt')}`);
  t.is(write.code, 0, write.stderr);
  t.is(await readFile(join(shared, 'from-guest.txt'), 'utf8'), `${token}-guest\n`);
});

test.serial('logs: the serial console and a guest service log', async (t) => {
  const serial = await tsd('machine', 'logs', NAME);
  t.regex(serial.stdout, /Linux version/);
  const sshd = await tsd('machine', 'logs', NAME, '--service', 'sshd');
  t.is(sshd.code, 0, sshd.stderr);
  t.not(sshd.stdout, '');
});

test.serial('the data disk survives stop and start; stale pid and socket files are cleaned, not trusted', async (t) => {
  t.timeout(BOOT_TIMEOUT);
  const token = randomBytes(8).toString('hex');
  t.is((await tsd('machine', 'ssh', NAME, '--', `echo ${token} > /var/lib/e2e-marker && sync`)).code, 0);
  const stopped = await tsd('machine', 'stop', NAME);
  t.is(stopped.code, 0, stopped.stderr);
  t.is((await status()).state, 'stopped');
  t.false(existsSync(join(machineDir, 'docker.sock')));

  // What a kill -9 of the agent could leave: a pid file naming a live but unrelated process
  // (this test runner), a "running" state, and a socket file.
  await writeFile(join(machineDir, 'agent.pid'), JSON.stringify({ pid: process.pid, startToken: 'not-ours' }));
  await writeFile(join(machineDir, 'state.json'), JSON.stringify({ state: 'running', accel: 'tcg', arch: 'x86_64', sshPort: 1, startedAtMs: 0 }));
  await writeFile(join(machineDir, 'docker.sock'), '');
  const stale = await tsd('machine', 'status', NAME, '--json');
  t.is((JSON.parse(stale.stdout) as { state: string }).state, 'stopped');
  t.regex(stale.stderr, /cleaned up after a crash: .*agent\.pid/);
  t.false(existsSync(join(machineDir, 'agent.pid')));
  t.false(existsSync(join(machineDir, 'docker.sock')));

  const restarted = await tsd('machine', 'start', NAME);
  t.is(restarted.code, 0, `${restarted.stderr}\n${restarted.stdout}`);
  const marker = await tsd('machine', 'ssh', NAME, '--', 'cat', '/var/lib/e2e-marker');
  t.is(marker.stdout.trim(), token);
});

test.serial('delete refuses a running machine, then --force leaves nothing behind', async (t) => {
  const qemuPid = recordedPid('qemu.pid');
  t.not(qemuPid, undefined);
  const refused = await tsd('machine', 'delete', NAME);
  t.is(refused.code, 5);
  t.regex(refused.stderr, /is running/);

  const deleted = await tsd('machine', 'delete', NAME, '--force');
  t.is(deleted.code, 0, deleted.stderr);
  t.false(existsSync(machineDir));
  t.throws(() => process.kill(qemuPid!, 0), undefined, 'QEMU is gone');
  const contexts = join(home, 'docker', 'contexts', 'meta');
  const left = existsSync(contexts) ? await readdir(contexts) : [];
  t.deepEqual(left, []);
  t.deepEqual(await readdir(join(home, 'h', 'machines')), []);
  const list = await tsd('machine', 'list', '--json');
  t.deepEqual(JSON.parse(list.stdout), []);
});
