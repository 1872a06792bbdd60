// The OCI spec dockerd builds, checked by its effect inside real containers (tsd stack):
// read-only rootfs, tmpfs, bind mounts and volumes, extra hosts and DNS, --init, shm size,
// sysctls, ulimits, capabilities, OOM kill.
import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
  scratch = await mkdtemp(join(tmpdir(), 'tsdtest-spec-'));
});

test.after.always(async () => {
  await setup?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const run = (...args: string[]): Promise<string> => engine.dockerOk('run', '--rm', ...args);

test.serial('read-only rootfs with a writable tmpfs', async (t) => {
  const out = await run('--read-only', '--tmpfs', '/run:size=1m', 'busybox', 'sh', '-c', 'touch /x 2>/dev/null; echo root=$?; touch /run/x; echo run=$?; grep " /run " /proc/mounts');
  t.regex(out, /^root=1\nrun=0\ntmpfs \/run tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k/);
});

test.serial('bind mounts (rw and ro) and a named volume that persists', async (t) => {
  await writeFile(join(scratch, 'host.txt'), 'from host\n');
  t.is(await run('-v', `${scratch}:/data`, 'busybox', 'sh', '-c', 'cat /data/host.txt; echo written > /data/back.txt'), 'from host\n');
  t.is(await readFile(join(scratch, 'back.txt'), 'utf8'), 'written\n');
  t.is(await run('-v', `${scratch}:/data:ro`, 'busybox', 'sh', '-c', 'touch /data/y 2>/dev/null; echo $?'), '1\n');
  await run('-v', 'keep:/keep', 'busybox', 'sh', '-c', 'echo kept > /keep/f');
  t.is(await run('-v', 'keep:/keep', 'busybox', 'cat', '/keep/f'), 'kept\n');
  const mounts = await engine.dockerOk('run', '-d', '--name', 'mounts', '-v', 'keep:/keep', '-v', `${scratch}:/data:ro`, 'busybox', 'sleep', '30');
  t.truthy(mounts);
  const points = JSON.parse(await engine.dockerOk('inspect', '--format', '{{json .Mounts}}', 'mounts')) as Array<{ Type: string; Destination: string; RW: boolean; Name?: string }>;
  t.deepEqual(points.map((m) => [m.Type, m.Destination, m.RW]).sort(), [['bind', '/data', false], ['volume', '/keep', true]]);
  await engine.dockerOk('rm', '-f', 'mounts');
  const missing = await engine.docker('run', '--rm', '--mount', 'type=bind,source=/no/such/dir,target=/x', 'busybox', 'true');
  t.regex(missing.stderr, /bind source path does not exist: \/no\/such\/dir/);
});

test.serial('hostname, extra hosts and DNS reach /etc', async (t) => {
  const out = await run('-h', 'web', '--add-host', 'db.internal:10.1.2.3', '--dns', '192.0.2.53', '--dns-search', 'example.test', 'busybox', 'sh', '-c', 'hostname; grep db.internal /etc/hosts; grep -v "^#" /etc/resolv.conf | grep .');
  // search before nameserver: the order Debian's dockerd 20.10 writes (dockerd-dns-files-interop compares the files)
  t.is(out, 'web\n10.1.2.3\tdb.internal\nsearch example.test\nnameserver 192.0.2.53\n');
});

test.serial('--init runs the init as PID 1; shm size, sysctls and ulimits apply', async (t) => {
  t.regex(await run('--init', 'busybox', 'cat', '/proc/1/cmdline'), /^\/sbin\/docker-init\0--\0cat\0/);
  t.regex(await run('--shm-size', '8m', 'busybox', 'df', '-k', '/dev/shm'), /\n\S+\s+8192\s/);
  t.is(await run('--sysctl', 'net.ipv4.ip_forward=1', 'busybox', 'cat', '/proc/sys/net/ipv4/ip_forward'), '1\n');
  t.is(await run('--ulimit', 'nofile=123:456', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn'), '123\n456\n');
});

test.serial('capabilities: default set, --cap-drop, --cap-add', async (t) => {
  const capEff = async (...args: string[]): Promise<bigint> => BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(await run(...args, 'busybox', 'cat', '/proc/self/status'))![1]}`);
  t.is(await capEff(), 0xa80425fbn); // Docker's default 14 capabilities
  t.is((await capEff('--cap-drop', 'CHOWN')) & 1n, 0n);
  t.is((await capEff('--cap-add', 'NET_ADMIN')) & (1n << 12n), 1n << 12n);
  t.is(await run('--cap-drop', 'ALL', 'busybox', 'sh', '-c', 'chown 1 /tmp 2>/dev/null; echo $?'), '1\n');
});

test.serial('a process over its memory limit is OOM-killed and inspect says so', async (t) => {
  const result = await engine.docker('run', '--name', 'hog', '--memory', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'x=a; while true; do x="$x$x"; done');
  t.is(result.code, 137);
  t.is((await engine.dockerOk('inspect', '--format', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'hog')).trim(), 'true 137');
  await engine.dockerOk('rm', 'hog');
});

test.serial('published port answers on loopback and shows in ps and inspect; container IP in NetworkSettings', async (t) => {
  await engine.dockerOk('run', '-d', '--name', 'web', '-p', '127.0.0.1::8080', 'busybox', 'sh', '-c', 'mkdir -p /www && echo served > /www/index.html && httpd -f -p 8080 -h /www');
  const port = (await engine.dockerOk('port', 'web', '8080/tcp')).trim();
  t.regex(port, /^127\.0\.0\.1:\d+$/);
  let body = '';
  for (let i = 0; i < 100 && body !== 'served\n'; i++) {
    body = await fetch(`http://${port}/index.html`).then((r) => r.text(), () => '');
    if (body !== 'served\n') await new Promise((r) => setTimeout(r, 100));
  }
  t.is(body, 'served\n');
  t.regex(await engine.dockerOk('ps', '--filter', 'name=web', '--format', '{{.Ports}}'), /127\.0\.0\.1:\d+->8080\/tcp/);
  const ip = (await engine.dockerOk('inspect', '--format', '{{.NetworkSettings.Networks.bridge.IPAddress}}', 'web')).trim();
  t.regex(ip, /^\d+\.\d+\.\d+\.\d+$/);
  t.is((await engine.dockerOk('exec', 'web', 'hostname', '-i')).trim(), ip);
  await engine.dockerOk('rm', '-f', 'web');
});
