// Container options checked by their effect in real containers on the tsd stack, with the real
// docker CLI: logs --details (log-opt labels/env/tag), --volumes-from, --device, detach keys.
import test from 'ava';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBusyboxEngine, type BusyboxEngine } from '../helpers/busybox-engine.js';
import type { HostEngine } from '../helpers/host-engine.js';

let setup: BusyboxEngine | undefined;
let engine: HostEngine;
let scratch: string;

test.before(async () => {
  setup = await startBusyboxEngine();
  engine = setup.engine;
  scratch = await mkdtemp(join(tmpdir(), 'tsdtest-opts-'));
});

test.after.always(async () => {
  for (const child of terminals) child.kill('SIGKILL');
  await setup?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

test.serial('logs --details shows the attributes the log options pick (labels, env, tag), sorted and escaped', async (t) => {
  await engine.dockerOk(
    'run', '--name', 'detailed', '--label', 'app=web', '--label', 'other=x', '-e', 'MODE=prod', '-e', 'NOTE=a b', '-e', 'SKIP=1',
    '--log-opt', 'labels=app', '--log-opt', 'env=MODE,NOTE', '--log-opt', 'tag={{.Name}}', 'busybox', 'echo', 'hello',
  );
  t.is(await engine.dockerOk('logs', '--details', 'detailed'), 'MODE=prod,NOTE=a+b,app=web,tag=detailed hello\n');
  t.is(await engine.dockerOk('logs', 'detailed'), 'hello\n');
  t.regex(await engine.dockerOk('logs', '--details', '--timestamps', 'detailed'), /^\d{4}-\d\d-\d\dT[\d:.]+Z MODE=prod,NOTE=a\+b,app=web,tag=detailed hello\n$/);
  await engine.dockerOk('run', '--name', 'regexes', '--label', 'com.x.a=1', '--label', 'com.x.b=2', '--label', 'org.y=3', '-e', 'K_ONE=1', '--log-opt', 'labels-regex=^com\\.x\\.', '--log-opt', 'env-regex=^K_', 'busybox', 'echo', 'r');
  t.is(await engine.dockerOk('logs', '--details', 'regexes'), 'K_ONE=1,com.x.a=1,com.x.b=2 r\n');
  // No attributes: Docker still puts the separating space before the line.
  await engine.dockerOk('run', '--name', 'plain', 'busybox', 'echo', 'hi');
  t.is(await engine.dockerOk('logs', '--details', 'plain'), ' hi\n');
  const bad = await engine.docker('run', '--rm', '--log-opt', 'colour=blue', 'busybox', 'true');
  t.is(bad.code, 125);
  t.regex(bad.stderr, /unknown log opt 'colour' for json-file log driver/);
  const raw = await engine.api('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: { LogConfig: { Type: 'json-file', Config: { 'env-regex': '(' } } } } });
  t.is(raw.status, 400);
  t.regex(raw.json<{ message: string }>().message, /error parsing regexp/);
  await engine.dockerOk('rm', 'detailed', 'regexes', 'plain');
});

interface MountJson { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }
const mountsOf = async (name: string): Promise<MountJson[]> =>
  (JSON.parse(await engine.dockerOk('inspect', '--format', '{{json .Mounts}}', name)) as MountJson[]).sort((a, b) => a.Destination.localeCompare(b.Destination));

test.serial("--volumes-from shares the source's volumes and binds (ro override, chains, own mounts win) and shows them in Mounts", async (t) => {
  const host = join(scratch, 'vf');
  await rm(host, { recursive: true, force: true });
  await mkdir(host);
  await writeFile(join(host, 'h'), 'from host\n');
  // The source was never started: its anonymous volume gets its name now and is shared.
  await engine.dockerOk('create', '--name', 'data', '-v', '/shared', '-v', 'vfnamed:/named', '-v', `${host}:/hostdir`, '--tmpfs', '/private', 'busybox');
  const wrote = await engine.dockerOk('run', '--rm', '--volumes-from', 'data', 'busybox', 'sh', '-c', 'echo x > /shared/f && echo y > /named/g && echo back > /hostdir/b && cat /hostdir/h && grep -c " /private " /proc/mounts || true');
  t.is(wrote, 'from host\n0\n');
  t.is(await readFile(join(host, 'b'), 'utf8'), 'back\n');
  const readOnly = await engine.dockerOk('run', '--rm', '--volumes-from', 'data:ro', 'busybox', 'sh', '-c', 'cat /shared/f /named/g; touch /shared/z 2>/dev/null; echo $?; touch /hostdir/z 2>/dev/null; echo $?');
  t.is(readOnly, 'x\ny\n1\n1\n');
  // The source itself sees what the others wrote (same volume), and a chain passes mounts on.
  t.is(await engine.dockerOk('start', '-a', 'data'), '');
  await engine.dockerOk('run', '--name', 'middle', '--volumes-from', 'data:ro', 'busybox', 'true');
  t.is(await engine.dockerOk('run', '--rm', '--volumes-from', 'middle', 'busybox', 'sh', '-c', 'cat /shared/f; touch /shared/z 2>/dev/null; echo $?'), 'x\n1\n');
  // The container's own mount at the same destination wins.
  t.is(await engine.dockerOk('run', '--rm', '--volumes-from', 'data', '-v', `${host}:/shared`, 'busybox', 'cat', '/shared/h'), 'from host\n');
  await engine.dockerOk('run', '-d', '--name', 'user', '--volumes-from', 'data:ro', 'busybox', 'sleep', '60');
  const source = await mountsOf('data');
  const user = await mountsOf('user');
  t.deepEqual(user.map((m) => [m.Type, m.Destination, m.RW]), [['bind', '/hostdir', false], ['volume', '/named', false], ['volume', '/shared', false]]);
  t.deepEqual(user.map((m) => [m.Name ?? '', m.Source]), source.map((m) => [m.Name ?? '', m.Source]));
  t.is(user[0]!.Source, host);
  t.is(user[1]!.Name, 'vfnamed');
  t.regex(user[2]!.Name ?? '', /^[0-9a-f]{64}$/);
  // In use by the running container: the shared anonymous volume cannot be removed.
  t.regex((await engine.docker('volume', 'rm', user[2]!.Name!)).stderr, /volume is in use/);
  await engine.dockerOk('rm', '-f', 'user', 'middle', 'data');
});

test.serial('--volumes-from errors: a missing container is 404 "No such container", a bad mode 400', async (t) => {
  const missing = await engine.docker('run', '--rm', '--volumes-from', 'nope', 'busybox', 'true');
  t.is(missing.code, 125);
  t.regex(missing.stderr, /No such container: nope/);
  const raw = await engine.api('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: { VolumesFrom: ['nope:ro'] } } });
  t.is(raw.status, 404);
  t.deepEqual(raw.json(), { message: 'No such container: nope' });
  await engine.dockerOk('create', '--name', 'src', 'busybox');
  for (const [spec, message] of [['src:shared', 'invalid mode: shared'], ['src:nocopy', 'invalid mode: nocopy'], ['', 'volumes-from specification cannot be an empty string']]) {
    const bad = await engine.api('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: { VolumesFrom: [spec] } } });
    t.is(bad.status, 400, spec);
    t.deepEqual(bad.json(), { message }, spec);
  }
  t.is((await engine.docker('ps', '-aq', '--filter', 'name=src')).stdout.split('\n').filter(Boolean).length, 1);
  await engine.dockerOk('rm', 'src');
});

test.serial('--device makes the node (major/minor, mode) and the device cgroup allows it with the given permissions only', async (t) => {
  const id = (await engine.dockerOk('run', '-d', '--device', '/dev/fuse', '--device', '/dev/fuse:/dev/myfuse:r', '--device', '/dev/null:/dev/mynull:r', 'busybox', 'sleep', '60')).trim();
  const exec = (script: string): Promise<string> => engine.dockerOk('exec', id, 'sh', '-c', script);
  t.is(await exec('stat -c "%n %F %t:%T %a" /dev/fuse /dev/myfuse /dev/mynull'), '/dev/fuse character special file a:e5 600\n/dev/myfuse character special file a:e5 600\n/dev/mynull character special file 1:3 666\n');
  // /dev/fuse was given rwm, /dev/myfuse (the same device) r: the v1 devices cgroup merges them.
  t.is(await exec('dd if=/dev/fuse of=/dev/null count=0 2>/dev/null && echo read-ok; dd if=/dev/zero of=/dev/fuse count=0 2>/dev/null && echo write-ok'), 'read-ok\nwrite-ok\n');
  // The spec containerd got: the nodes in linux.devices, the rules after Docker's defaults.
  const bundle = JSON.parse(await readFile(join(engine.containerdState, 'io.containerd.runtime.v2.task', 'moby', id, 'config.json'), 'utf8')) as {
    linux: { devices: unknown[]; resources: { devices: Array<{ allow: boolean; type?: string; major?: number | null; minor?: number | null; access: string }> } };
  };
  t.deepEqual(bundle.linux.devices, [
    { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 },
    { path: '/dev/myfuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 },
    { path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  ]);
  t.deepEqual(bundle.linux.resources.devices.slice(0, 1), [{ allow: false, access: 'rwm' }]);
  t.deepEqual(bundle.linux.resources.devices.slice(-3), [
    { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
    { allow: true, type: 'c', major: 10, minor: 229, access: 'r' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'r' },
  ]);
  await engine.dockerOk('rm', '-f', id);
  // Read-only: the v1 devices cgroup has the rule, opening for writing is refused, reading works.
  const ro = (await engine.dockerOk('run', '-d', '--device', '/dev/fuse:/dev/fuse:r', 'busybox', 'sleep', '60')).trim();
  const list = await readFile(join('/sys/fs/cgroup/devices', engine.cgroupParent, ro, 'devices.list'), 'utf8');
  t.true(list.split('\n').includes('c 10:229 r'), list);
  const readOnly = await engine.dockerOk('exec', ro, 'sh', '-c',
    'dd if=/dev/fuse of=/dev/null count=0 2>/dev/null && echo read-ok; dd if=/dev/zero of=/dev/fuse count=0 2>&1 | grep -o "Operation not permitted"');
  t.is(readOnly, 'read-ok\nOperation not permitted\n');
  await engine.dockerOk('rm', '-f', ro);
  // Without --device the node can be made (mknod is allowed) but not opened.
  const none = await engine.dockerOk('run', '--rm', 'busybox', 'sh', '-c', 'mknod /tmp/f c 10 229 && dd if=/tmp/f of=/dev/null count=0 2>&1 | grep -o "Operation not permitted"');
  t.is(none, 'Operation not permitted\n');
});

test.serial('--privileged gets the host\'s device nodes; --device-cgroup-rule allows a device without making it', async (t) => {
  const privileged = await engine.dockerOk('run', '--rm', '--privileged', 'busybox', 'sh', '-c', 'stat -c "%n %t:%T" /dev/fuse /dev/urandom; readlink /dev/ptmx');
  t.is(privileged, '/dev/fuse a:e5\n/dev/urandom 1:9\npts/ptmx\n');
  t.regex(await engine.dockerOk('run', '--rm', 'busybox', 'sh', '-c', 'test -e /dev/fuse || echo no-fuse; stat -c "%t:%T" /dev/urandom /dev/random; head -c 8 /dev/urandom | wc -c'), /^no-fuse\n1:9\n1:8\n\s*8\n$/);
  const rule = await engine.dockerOk('run', '--rm', '--device-cgroup-rule', 'c 10:229 r', 'busybox', 'sh', '-c',
    'mknod /tmp/f c 10 229 && dd if=/tmp/f of=/dev/null count=0 2>/dev/null && echo read-ok; dd if=/dev/zero of=/tmp/f count=0 2>&1 | grep -o "Operation not permitted"');
  t.is(rule, 'read-ok\nOperation not permitted\n');
  const bad = await engine.api('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: { DeviceCgroupRules: ['c 1:x rwm'] } } });
  t.is(bad.status, 400);
  t.deepEqual(bad.json(), { message: "invalid device cgroup format 'c 1:x rwm'" });
});

test.serial('--device errors: a missing path or a file that is no device fails the start with Docker\'s message; a bad mode is 400', async (t) => {
  const missing = await engine.docker('run', '--rm', '--device', '/dev/no-such-device', 'busybox', 'true');
  t.is(missing.code, 127); // the CLI's code for "no such file or directory"
  t.regex(missing.stderr, /error gathering device information while adding custom device "\/dev\/no-such-device": no such file or directory/);
  const notDevice = await engine.docker('run', '--rm', '--device', '/etc/hostname', 'busybox', 'true');
  t.is(notDevice.code, 125);
  t.regex(notDevice.stderr, /error gathering device information while adding custom device "\/etc\/hostname": not a device node/);
  const bad = await engine.api('POST', '/containers/create', { body: { Image: 'busybox', HostConfig: { Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: 'rwx' }] } } });
  t.is(bad.status, 400);
  t.deepEqual(bad.json(), { message: 'invalid device mode: rwx' });
  t.is((await engine.docker('ps', '-aq')).stdout, '');
});

/** Terminals still open when the file ends (a failed test) are ended by PID in test.after. */
const terminals = new Set<ReturnType<typeof spawn>>();

/** The docker CLI on a terminal: util-linux `script` gives it a pty; we type into script's stdin. */
function onTerminal(command: string): { write(text: string): void; waitFor(pattern: RegExp): Promise<void>; exited: Promise<number | null>; output(): string } {
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, DOCKER_HOST: `unix://${engine.socketPath}`, DOCKER_CONFIG: join(engine.dir, 'docker-config') }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const check of waiters) check();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  terminals.add(child);
  void exited.then(() => terminals.delete(child));
  return {
    write: (text) => void child.stdin.write(text),
    output: () => out,
    exited,
    // Bounded so that a broken engine fails the test instead of hanging it.
    waitFor: (pattern) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${pattern} not seen within 60 s; output so far: ${JSON.stringify(out)}`));
      }, 60_000);
      const check = (): void => {
        if (!pattern.test(out)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
      void exited.then(() => {
        if (!waiters.delete(check)) return;
        clearTimeout(timer);
        reject(new Error(`exited before ${pattern}: ${JSON.stringify(out)}`));
      });
    }),
  };
}

/** Waits (bounded) until the engine has logged `count` attach events: the CLI is attached. */
async function attachEvents(count: number): Promise<void> {
  const query = (): string => `/events?since=0&until=${Math.ceil(Date.now() / 1000) + 1}&filters=${encodeURIComponent(JSON.stringify({ event: ['attach'] }))}`;
  for (let i = 0; i < 600; i++) {
    if ((await engine.api('GET', query())).text.trim().split('\n').filter(Boolean).length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${count} attach events within 60 s`);
}

const running = async (name: string): Promise<string> => (await engine.dockerOk('inspect', '--format', '{{.State.Running}}', name)).trim();

test.serial('HostConfig.ConsoleSize sizes the tty from its start (the window the CLI sends at create)', async (t) => {
  const created = await engine.api('POST', '/containers/create', {
    body: { Image: 'busybox', Tty: true, Cmd: ['stty', 'size'], HostConfig: { ConsoleSize: [33, 111] } },
  });
  t.is(created.status, 201, created.text);
  const id = created.json<{ Id: string }>().Id;
  t.teardown(() => engine.docker('rm', '-f', id));
  t.is((await engine.api('POST', `/containers/${id}/start`)).status, 204);
  t.is((await engine.dockerOk('wait', id)).trim(), '0');
  t.is(await engine.dockerOk('logs', id), '33 111\r\n');
  // exec gets the same from its own ConsoleSize
  await engine.dockerOk('run', '-d', '--name', 'sized-exec', 'busybox', 'sleep', '300');
  t.teardown(() => engine.docker('rm', '-f', 'sized-exec'));
  const exec = await engine.api('POST', '/containers/sized-exec/exec', { body: { Cmd: ['stty', 'size'], Tty: true, AttachStdout: true, ConsoleSize: [21, 77] } });
  t.is(exec.status, 201, exec.text);
  const started = await engine.api('POST', `/exec/${exec.json<{ Id: string }>().Id}/start`, { body: { Detach: false, Tty: true, ConsoleSize: [21, 77] } });
  t.is(started.text, '21 77\r\n');
});

test.serial('detach keys: ctrl-p ctrl-q leaves run -it, attach and exec -it; --detach-keys changes them; the container keeps running', async (t) => {
  const run = onTerminal('docker run -it --name dk busybox sh');
  await run.waitFor(/\/ # /);
  run.write('echo one-$((40+2))\r');
  await run.waitFor(/one-42/);
  run.write('\x10\x11');
  t.is(await run.exited, 0, run.output());
  t.is(await running('dk'), 'true');

  const attach = onTerminal('docker attach dk');
  await attachEvents(2);
  attach.write('echo two-$((40+3))\r');
  await attach.waitFor(/two-43/);
  attach.write('\x10\x11');
  // The CLI detects the keys itself on a terminal; `docker attach` reports the detach as an error (as with Docker).
  t.is(await attach.exited, 1, attach.output());
  t.regex(attach.output(), /read escape sequence/);
  t.is(await running('dk'), 'true');

  // Custom keys: ctrl-x then "e" detaches; the shell still has what was typed before.
  const custom = onTerminal('docker attach --detach-keys ctrl-x,e dk');
  await attachEvents(3);
  custom.write('echo three-$((40+4))\r');
  await custom.waitFor(/three-44/);
  custom.write('\x18e');
  await custom.exited;
  t.regex(custom.output(), /read escape sequence/);
  t.is(await running('dk'), 'true');

  const exec = onTerminal('docker exec -it dk sh');
  await exec.waitFor(/\/ # /);
  exec.write('echo four-$((40+5))\r');
  await exec.waitFor(/four-45/);
  exec.write('\x10\x11');
  await exec.exited;
  t.regex(exec.output(), /read escape sequence/);
  t.notRegex(exec.output(), /not found/); // nothing but what was typed reached the shell (not the start request's body)
  t.is(await running('dk'), 'true');
  t.is(await engine.dockerOk('exec', 'dk', 'echo', 'alive'), 'alive\n');

  // A raw API client that sends the keys: dockerd finds them, ends the stream, the container stays.
  const raw = connect(engine.socketPath);
  let rawOut = '';
  raw.on('data', (d: Buffer) => (rawOut += d.toString()));
  const ended = new Promise<void>((resolve) => raw.once('close', () => resolve()));
  raw.write('POST /containers/dk/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-x,e HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n');
  for (let i = 0; i < 600 && !rawOut.includes('101 UPGRADED'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  raw.write('echo raw-$((1+1))\r');
  for (let i = 0; i < 600 && !rawOut.includes('raw-2'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  t.regex(rawOut, /raw-2/);
  raw.write('\x18e');
  await ended;
  t.is(await running('dk'), 'true');
  const detaches = await engine.api('GET', `/events?since=0&until=${Math.ceil(Date.now() / 1000) + 1}&filters=${encodeURIComponent(JSON.stringify({ event: ['detach'] }))}`);
  t.is(detaches.text.trim().split('\n').filter(Boolean).length, 1, detaches.text);
  const bad = await engine.api('POST', '/containers/dk/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-1');
  t.is(bad.status, 400);
  t.deepEqual(bad.json(), { message: 'Invalid detach keys (ctrl-1) provided' });
  await engine.dockerOk('rm', '-f', 'dk');
});
