// docker cp both ways (running and stopped), symlinks that point out of the container, export,
// container prune, and the container events, with the real docker CLI against our dockerd.
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startBusyboxEngine, type BusyboxEngine } from '../helpers/busybox-engine.js';
import type { HostEngine } from '../helpers/host-engine.js';

let setup: BusyboxEngine | undefined;
let engine: HostEngine;
let scratch: string;

test.before(async () => {
  setup = await startBusyboxEngine();
  engine = setup.engine;
  scratch = await mkdtemp(join(tmpdir(), 'tsdtest-cp-'));
});

test.after.always(async () => {
  await setup?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

test.serial('docker cp into and out of a running container, and out of a stopped one', async (t) => {
  await mkdir(join(scratch, 'in', 'sub'), { recursive: true });
  await writeFile(join(scratch, 'in', 'a.txt'), 'hello\n');
  await writeFile(join(scratch, 'in', 'sub', 'b.txt'), 'deep\n');
  await engine.dockerOk('run', '-d', '--name', 'files', 'busybox', 'sleep', '300');
  await engine.dockerOk('cp', join(scratch, 'in'), 'files:/tmp/');
  t.is(await engine.dockerOk('exec', 'files', 'cat', '/tmp/in/a.txt', '/tmp/in/sub/b.txt'), 'hello\ndeep\n');
  await engine.dockerOk('exec', 'files', 'sh', '-c', 'echo made-inside > /tmp/out.txt; ln -s /etc/hostname /tmp/link');
  await engine.dockerOk('cp', 'files:/tmp/out.txt', join(scratch, 'out.txt'));
  t.is(await readFile(join(scratch, 'out.txt'), 'utf8'), 'made-inside\n');
  // A symlink is copied as a symlink (not followed to the host's file of that name).
  await engine.dockerOk('cp', 'files:/tmp/link', join(scratch, 'link'));
  t.is(await readlink(join(scratch, 'link')), '/etc/hostname');
  const missing = await engine.docker('cp', 'files:/no/such', join(scratch, 'x'));
  t.regex(missing.stderr, /Could not find the file \/no\/such in container files/);
  await engine.dockerOk('stop', '-t', '0', 'files');
  await engine.dockerOk('cp', 'files:/tmp/in/a.txt', join(scratch, 'again.txt'));
  t.is(await readFile(join(scratch, 'again.txt'), 'utf8'), 'hello\n');
  await engine.dockerOk('rm', 'files');
});

test.serial('docker cp through a symlink that points at / stays inside the container', async (t) => {
  const marker = `tsd-escape-${randomBytes(4).toString('hex')}`;
  await writeFile(join(scratch, marker), 'x');
  await engine.dockerOk('run', '-d', '--name', 'escape', 'busybox', 'sh', '-c', 'ln -s / /tmp/root; ln -s ../../../../ /tmp/up; sleep 300');
  for (let i = 0; i < 100 && (await engine.docker('exec', 'escape', 'test', '-L', '/tmp/up')).code !== 0; i++) await new Promise((r) => setTimeout(r, 50));
  await engine.dockerOk('cp', join(scratch, marker), 'escape:/tmp/root/');
  await engine.dockerOk('cp', join(scratch, marker), 'escape:/tmp/up/');
  t.false(existsSync(`/${marker}`), 'nothing was written to the host root');
  t.is((await engine.docker('exec', 'escape', 'test', '-f', `/${marker}`)).code, 0, 'the file is at the container root');
  // Reading through the link reads the container's file, not the host's.
  await engine.dockerOk('exec', 'escape', 'sh', '-c', 'echo container-passwd > /etc/passwd');
  await engine.dockerOk('cp', 'escape:/tmp/root/etc/passwd', join(scratch, 'passwd'));
  t.is(await readFile(join(scratch, 'passwd'), 'utf8'), 'container-passwd\n');
  await engine.dockerOk('rm', '-f', 'escape');
});

test.serial('docker diff lists added, changed and deleted paths (not the mount points dockerd adds)', async (t) => {
  await engine.dockerOk('run', '--name', 'differ', 'busybox', 'sh', '-c', 'mkdir -p /new/sub; echo x > /new/sub/f; rm /bin/ls; echo y >> /etc/passwd');
  t.is(await engine.dockerOk('diff', 'differ'), 'C /bin\nD /bin/ls\nC /etc\nC /etc/passwd\nA /new\nA /new/sub\nA /new/sub/f\n');
  await engine.dockerOk('run', '--name', 'untouched', 'busybox', 'true');
  t.is(await engine.dockerOk('diff', 'untouched'), '');
  await engine.dockerOk('rm', 'differ', 'untouched');
});

test.serial('docker commit makes an image of the changes (added, deleted, symlinked) with --change and a message', async (t) => {
  await engine.dockerOk('run', '--name', 'builder', 'busybox', 'sh', '-c', 'mkdir -p /app; echo committed > /app/f; ln -s /app/f /app/link; rm /bin/ls');
  const id = (await engine.dockerOk('commit', '-c', 'CMD ["cat", "/app/link"]', '-c', 'ENV HELLO=world', '-m', 'my change', 'builder', 'mine:v1')).trim();
  t.regex(id, /^sha256:[a-f0-9]{64}$/);
  t.is(await engine.dockerOk('run', '--rm', 'mine:v1'), 'committed\n');
  t.is(await engine.dockerOk('run', '--rm', 'mine:v1', 'sh', '-c', 'echo $HELLO; test -e /bin/ls; echo ls=$?'), 'world\nls=1\n');
  t.regex(await engine.dockerOk('history', '--format', '{{.Comment}}', 'mine:v1'), /^my change\n/);
  await engine.dockerOk('rm', 'builder');
  await engine.dockerOk('rmi', 'mine:v1');
});

test.serial('export tars the filesystem; prune removes stopped containers only; events tell the story', async (t) => {
  const since = Math.floor(Date.now() / 1000) - 1;
  await engine.dockerOk('run', '--name', 'done', 'busybox', 'sh', '-c', 'echo exported > /marker');
  const exported = await engine.api('GET', '/containers/done/export');
  t.is(exported.status, 200);
  t.true(exported.body.includes(Buffer.from('exported\n')));
  t.true(exported.body.includes(Buffer.from('./bin/busybox')));
  await engine.dockerOk('run', '-d', '--name', 'alive', 'busybox', 'sleep', '300');
  const pruned = await engine.api('POST', '/containers/prune');
  const aliveId = JSON.parse(await engine.dockerOk('inspect', '--format', '{{json .Id}}', 'alive'));
  t.is(pruned.status, 200);
  const body = pruned.json<{ ContainersDeleted: string[] }>();
  t.is(body.ContainersDeleted.length, 1);
  t.false(body.ContainersDeleted.includes(aliveId));
  t.is((await engine.dockerOk('ps', '-a', '--format', '{{.Names}}')).trim(), 'alive');
  await engine.dockerOk('rm', '-f', 'alive');
  const until = Math.floor(Date.now() / 1000) + 1;
  const events = await engine.dockerOk('events', '--since', String(since), '--until', String(until), '--filter', 'container=done', '--format', '{{.Action}}');
  t.deepEqual(events.trim().split('\n'), ['create', 'attach', 'start', 'die', 'destroy']);
});
