// The docker verbs of the tsd CLI (dist/, built by `npm run build`) against Debian's real dockerd
// in host mode (TSD_ENGINE_SOCKET), with the local fixture registry as its docker.io mirror:
// pull with progress, run (attached, detached, -i with stdin EOF, exit codes 125/127/N), ps, logs,
// exec, stop/start/rm, images, inspect, and the bind-mount check against a machine's shares.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { startDebianDockerd, type DebianDockerd } from '../helpers/debian-dockerd.js';
import { onPty } from '../helpers/tsd-pty.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const TSD = join(ROOT, 'bin', 'run.js');

let dir: string;
let fixtures: FixtureRegistry;
let daemon: DebianDockerd;
let env: NodeJS.ProcessEnv;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function tsd(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TSD, ...args], { env: { ...env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(options.input ?? '');
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsd-verbs-'));
  fixtures = await startFixtureRegistry({ nginx: false });
  daemon = await startDebianDockerd({
    dir,
    args: [
      '--bridge', 'none',
      '--containerd-namespace', `tsd-verbs-${process.pid}`, '--containerd-plugins-namespace', `tsd-verbs-${process.pid}-plugins`,
      '--registry-mirror', `http://${fixtures.host}`,
    ],
  });
  env = { ...process.env, TSD_ENGINE_SOCKET: daemon.socket, TSD_HOME: join(dir, 'tsd-home') };
  // Every test needs busybox; the pull test checks the output of a pull of its own.
  await daemon.docker(['pull', 'busybox']);
});

test.after.always(async () => {
  await daemon?.stop();
  await fixtures?.stop();
  await rm(dir, { recursive: true, force: true });
});

test.serial('pull shows progress and the image name; images lists it', async (t) => {
  await daemon.docker(['rmi', 'busybox']);
  const pull = await tsd(['pull', 'busybox']);
  t.is(pull.code, 0, pull.stderr);
  t.regex(pull.stdout, /^Using default tag: latest$/m);
  t.regex(pull.stdout, /Pull complete/);
  t.regex(pull.stdout, new RegExp(`Digest: ${fixtures.images.busybox.digest}`));
  t.regex(pull.stdout, /docker\.io\/library\/busybox:latest\n$/);
  const images = await tsd(['images']);
  t.regex(images.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/m);
  t.regex(images.stdout, /^busybox\s+latest\s+[0-9a-f]{12}\s/m);
  const quiet = await tsd(['images', '-q']);
  t.regex(quiet.stdout, /^[0-9a-f]{12}$/m);
  const missing = await tsd(['pull', 'no-such-image-here']);
  t.is(missing.code, 125);
  t.regex(missing.stderr, /^tsd: /);
});

test('run attached: output, the container\'s exit code, stdin with -i, env and workdir', async (t) => {
  const hello = await tsd(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
  t.is(hello.code, 0, hello.stderr);
  t.is(hello.stdout, 'out\n');
  t.is(hello.stderr, 'err\n');
  const three = await tsd(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'exit 3']);
  t.is(three.code, 3);
  const input = await tsd(['run', '--rm', '-i', '--network', 'none', 'busybox', 'sh', '-c', 'wc -c; echo after-eof'], { input: 'x'.repeat(70_000) });
  t.is(input.stdout.trim().split(/\s+/).join(' '), '70000 after-eof');
  const envFile = join(dir, 'env.list');
  await writeFile(envFile, '# comment\nFROM_FILE=yes\n\n');
  const settings = await tsd(
    ['run', '--rm', '--network', 'none', '-e', 'A=1', '--env-file', envFile, '-w', '/tmp', '-u', '1234', '--hostname', 'box', 'busybox', 'sh', '-c', 'echo $A $FROM_FILE $(pwd) $(id -u) $(hostname)'],
  );
  t.is(settings.stdout, '1 yes /tmp 1234 box\n', settings.stderr);
});

test('docker\'s exit codes: 127 for a missing command, 125 for an engine error and bad flags', async (t) => {
  const missing = await tsd(['run', '--rm', '--network', 'none', 'busybox', 'no-such-command']);
  t.is(missing.code, 127, missing.stderr);
  t.regex(missing.stderr, /no-such-command/);
  const badImage = await tsd(['run', '--rm', '--network', 'none', 'no-such-image-anywhere']);
  t.is(badImage.code, 125);
  t.regex(badImage.stderr, /Unable to find image 'no-such-image-anywhere' locally/);
  const badFlag = await tsd(['run', '--no-such-flag', 'busybox']);
  t.is(badFlag.code, 125);
  const badPort = await tsd(['run', '-p', '80:99999', 'busybox']);
  t.is(badPort.code, 125);
  t.regex(badPort.stderr, /invalid port specification "80:99999"/);
});

test('detached life: run -d, ps, logs, exec, stop, start, inspect, rm', async (t) => {
  const name = `verbs-${process.pid}`;
  const run = await tsd(['run', '-d', '--name', name, '--network', 'none', '-l', 'purpose=test', 'busybox', 'sh', '-c', 'echo started; echo oops >&2; exec sleep 1000']);
  t.is(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  t.regex(id, /^[0-9a-f]{64}$/);
  t.teardown(() => tsd(['rm', '-f', name]));

  const ps = await tsd(['ps']);
  t.regex(ps.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/m);
  t.regex(ps.stdout, new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s+"sh -c 'echo started…"\\s+.*Up .*${name}$`, 'm'));
  const json = (await tsd(['ps', '--format', 'json'])).stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
  const row = json.find((entry) => entry.Names === name);
  t.is(row?.State, 'running');
  t.is(row?.Labels, 'purpose=test');
  t.true((await tsd(['ps', '-q'])).stdout.split('\n').includes(id.slice(0, 12)));

  // logs: stdout and stderr kept apart (the container has no tty: multiplexed)
  let logs = await tsd(['logs', name]);
  for (let i = 0; logs.stdout === '' && i < 50; i++) logs = await tsd(['logs', name]); // the shell may not have run yet
  t.is(logs.stdout, 'started\n');
  t.is(logs.stderr, 'oops\n');
  t.regex((await tsd(['logs', '-t', '--tail', '1', name])).stdout + (await tsd(['logs', '-t', name])).stderr, /^\d{4}-\d\d-\d\dT/m);

  const exec = await tsd(['exec', '-e', 'X=42', '-w', '/etc', name, 'sh', '-c', 'echo $X $(pwd); exit 4']);
  t.is(exec.code, 4);
  t.is(exec.stdout, '42 /etc\n');
  const execInput = await tsd(['exec', '-i', name, 'cat'], { input: 'through stdin' });
  t.is(execInput.stdout, 'through stdin');

  t.is((await tsd(['stop', '-t', '1', name])).stdout, `${name}\n`);
  t.regex((await tsd(['ps', '-a', '--format', 'json'])).stdout, new RegExp(`"Names":"${name}","Networks":"[^"]*","Ports":"","RunningFor":"[^"]+","State":"exited"`));
  t.false((await tsd(['ps', '-q'])).stdout.includes(id.slice(0, 12)));
  t.is((await tsd(['start', name])).stdout, `${name}\n`);
  const status = await tsd(['inspect', '--format', '{{.State.Status}} {{json .Config.Labels}}', name]);
  t.is(status.stdout, 'running {"purpose":"test"}\n');
  const inspect = JSON.parse((await tsd(['inspect', name])).stdout) as Array<{ Id: string }>;
  t.is(inspect[0]?.Id, id);
  const image = JSON.parse((await tsd(['inspect', '--format', 'json', 'busybox'])).stdout) as { RepoTags: string[] };
  t.deepEqual(image.RepoTags, ['busybox:latest']);
  const nothing = await tsd(['inspect', 'no-such-thing']);
  t.is(nothing.code, 125);
  t.regex(nothing.stderr, /No such object: no-such-thing/);

  const running = await tsd(['rm', name]);
  t.is(running.code, 1);
  t.regex(running.stderr, /Error response from daemon: .*(running|stop)/i);
  t.is((await tsd(['rm', '-f', name])).stdout, `${name}\n`);
  t.is((await tsd(['rm', name])).code, 1);
});

test('bind mounts: a shared folder works, a path outside the machine\'s shares is a clear error', async (t) => {
  const shared = join(dir, 'shared');
  await mkdir(join(shared, 'src'), { recursive: true });
  await writeFile(join(shared, 'src', 'file.txt'), 'from the host\n');
  const machineDir = join(dir, 'tsd-home', 'machines', 'verbs');
  await mkdir(machineDir, { recursive: true });
  await writeFile(join(machineDir, 'machine.yaml'), `mounts:\n  - location: ${shared}\n  - location: ${join(dir, 'readonly')}\n    writable: false\n`);
  const withMachine = { TSD_ENGINE_MACHINE: 'verbs' };

  const inside = await tsd(['run', '--rm', '--network', 'none', '-v', `${shared}/src:/src`, 'busybox', 'cat', '/src/file.txt'], { env: withMachine });
  t.is(inside.stdout, 'from the host\n', inside.stderr);

  const outside = await tsd(['run', '--rm', '--network', 'none', '-v', '/etc:/host-etc', 'busybox', 'true'], { env: withMachine });
  t.is(outside.code, 125);
  t.regex(outside.stderr, /cannot bind \/etc: it is not inside a folder that machine "verbs" shares/);
  t.regex(outside.stderr, /key "mounts" of .*machines\/verbs\/machine\.yaml/);

  const readOnly = await tsd(['run', '--rm', '--network', 'none', '-v', `${join(dir, 'readonly')}:/ro`, 'busybox', 'true'], { env: withMachine });
  t.is(readOnly.code, 125);
  t.regex(readOnly.stderr, /read-only .*add ":ro"/);
});

test('run -it is an interactive shell on a pty that follows the window size', async (t) => {
  const result = await onPty(TSD, env, ['run', '-it', '--rm', '--network', 'none', 'busybox', 'sh']);
  t.regex(result, /30 100/);
  t.regex(result, /42x/);
  t.regex(result, /40 120/);
  t.regex(result, /EXIT 5\n$/);
});

test('exec -it is an interactive shell in a running container, resized too', async (t) => {
  const name = `exec-tty-${process.pid}`;
  t.is((await tsd(['run', '-d', '--name', name, '--network', 'none', 'busybox', 'sleep', '1000'])).code, 0);
  t.teardown(() => tsd(['rm', '-f', name]));
  const result = await onPty(TSD, env, ['exec', '-it', name, 'sh']);
  t.regex(result, /30 100/);
  t.regex(result, /42x/);
  t.regex(result, /40 120/);
  t.regex(result, /EXIT 5\n$/);
});

test('without a tty, Ctrl-C reaches the container (docker\'s sig-proxy)', async (t) => {
  const child = spawn(process.execPath, [TSD, 'run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'trap "echo got-int; exit 7" INT; echo ready; while true; do sleep 1; done'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('ready') && !child.killed) child.kill('SIGINT');
  });
  t.is(await exited, 7);
  t.regex(stdout, /got-int/);
});

test('logs -f follows until the container exits', async (t) => {
  const name = `follow-${process.pid}`;
  const run = await tsd(['run', '-d', '--name', name, '--network', 'none', 'busybox', 'sh', '-c', 'echo first; sleep 2; echo second']);
  t.is(run.code, 0, run.stderr);
  t.teardown(() => tsd(['rm', '-f', name]));
  const follow = await tsd(['logs', '-f', name]);
  t.is(follow.code, 0, follow.stderr);
  t.is(follow.stdout, 'first\nsecond\n');
});
