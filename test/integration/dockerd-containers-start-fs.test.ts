// The start path's filesystem work with the real docker CLI against our dockerd (host mode): the
// user by name, uid, uid:gid and with groups (read from the image's layers, also where an upper
// layer overrides or deletes /etc/passwd or makes a directory opaque), a missing WorkingDir made
// (root-owned, 0755, as Docker does), Docker's errors; the rootfs is mounted only for a copy-up.
import test from 'ava';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBusyboxEngine, type BusyboxEngine } from '../helpers/busybox-engine.js';
import type { HostEngine } from '../helpers/host-engine.js';

let setup: BusyboxEngine | undefined;
let engine: HostEngine;
let wrapperDir: string;

/**
 * dockerd mounts a rootfs with mount(8) on a `rootfs-*` directory (rootfs-mount.ts): a `mount` first
 * on the engine's PATH (this test process's, which the launcher passes on) logs each call, then runs
 * the real one, so a test can count the rootfs mounts its starts made.
 */
async function rootfsMounts(): Promise<number> {
  const log = await readFile(join(wrapperDir, 'log'), 'utf8').catch(() => '');
  return log.split('\n').filter((line) => line.includes(engine.dir) && /\/rootfs-[^/ ]*$/.test(line)).length;
}

/** Runs `script` in a container from `from`, commits it as `tag` (a new layer on top). */
async function commitLayer(from: string, tag: string, script: string): Promise<void> {
  const name = `startfs-${tag.replace(/[^a-z0-9]/g, '-')}`;
  await engine.dockerOk('run', '--name', name, from, 'sh', '-c', script);
  await engine.dockerOk('commit', name, tag);
  await engine.dockerOk('rm', name);
}

test.before(async () => {
  wrapperDir = await mkdtemp(join(tmpdir(), 'tsd-mount-wrapper-'));
  await writeFile(join(wrapperDir, 'mount'), `#!/bin/sh\necho "$*" >> ${wrapperDir}/log\nexec /usr/bin/mount "$@"\n`);
  await chmod(join(wrapperDir, 'mount'), 0o755);
  process.env.PATH = `${wrapperDir}:${process.env.PATH ?? ''}`;
  setup = await startBusyboxEngine();
  engine = setup.engine;
  // Layer 1: a user with a primary group and a supplementary one; /data/passwd for the opaque test.
  await commitLayer('busybox', 'startfs-users', [
    'echo "app:x:1234:2345:app:/home/app:/bin/sh" >> /etc/passwd',
    'echo "grp:x:2345:" >> /etc/group',
    'echo "extra:x:3456:app" >> /etc/group',
    'mkdir /data && echo "ghost:x:77:77::/:/bin/sh" > /data/passwd && ln -s /data/passwd /etc/passwd.link',
  ].join(' && '));
  // Layer 2 variants: /etc/passwd overridden, deleted (a whiteout), /data made opaque.
  await commitLayer('startfs-users', 'startfs-override', "sed -i 's/^app:x:1234:/app:x:4321:/' /etc/passwd");
  await commitLayer('startfs-users', 'startfs-deleted', 'rm /etc/passwd');
  await commitLayer('startfs-users', 'startfs-opaque', 'rm -rf /data && mkdir /data && echo keep > /data/other');
});

test.after.always(async () => {
  await setup?.stop();
  if (wrapperDir) await rm(wrapperDir, { recursive: true, force: true });
});

test.serial('user by name gets its uid, primary group and the groups that list it', async (t) => {
  t.is(await engine.dockerOk('run', '--rm', '--user', 'app', 'startfs-users', 'id'), 'uid=1234(app) gid=2345(grp) groups=3456(extra)\n');
  t.is(await engine.dockerOk('run', '--rm', '--user', '1234', 'startfs-users', 'id', '-G'), '2345 3456\n');
  // An explicit group replaces the user's supplementary groups; --group-add adds to them.
  t.is(await engine.dockerOk('run', '--rm', '--user', '1234:3456', 'startfs-users', 'id', '-G'), '3456\n');
  t.is(await engine.dockerOk('run', '--rm', '--user', 'app:grp', '--group-add', 'extra', '--group-add', '99', 'startfs-users', 'id', '-G'), '2345 99 3456\n');
  // A uid without an entry runs with gid 0, as in Docker.
  t.is(await engine.dockerOk('run', '--rm', '--user', '555', 'startfs-users', 'sh', '-c', 'id -u; id -g'), '555\n0\n');
});

test.serial("the image's own USER is used, and the environment's HOME follows the user", async (t) => {
  const name = 'startfs-owner';
  // Commit with a USER change gives an image whose config names the user.
  await engine.dockerOk('run', '--name', name, 'startfs-users', 'true');
  await engine.dockerOk('commit', '--change', 'USER app', name, 'startfs-as-app');
  await engine.dockerOk('rm', name);
  t.is(await engine.dockerOk('run', '--rm', 'startfs-as-app', 'sh', '-c', 'id -u; echo $HOME'), '1234\n/home/app\n');
});

test.serial('an upper layer that overrides or deletes /etc/passwd wins over the lower one', async (t) => {
  t.is(await engine.dockerOk('run', '--rm', '--user', 'app', 'startfs-override', 'id', '-u'), '4321\n');
  const deleted = await engine.docker('run', '--rm', '--user', 'app', 'startfs-deleted', 'id');
  t.is(deleted.code, 125);
  t.regex(deleted.stderr, /unable to find user app: no matching entries in passwd file/);
  // Numeric ids still work without a passwd file.
  t.is(await engine.dockerOk('run', '--rm', '--user', '1234:2345', 'startfs-deleted', 'id', '-u'), '1234\n');
});

test.serial('an opaque directory in an upper layer hides the lower one (through a symlink)', async (t) => {
  // /etc/passwd → /data/passwd: the lower layer's /data/passwd names "ghost", the opaque /data has none.
  await commitLayer('startfs-users', 'startfs-linked', 'rm /etc/passwd && ln -s /data/passwd /etc/passwd');
  t.is(await engine.dockerOk('run', '--rm', '--user', 'ghost', 'startfs-linked', 'id', '-u'), '77\n');
  await commitLayer('startfs-linked', 'startfs-linked-opaque', 'rm -rf /data && mkdir /data && echo keep > /data/other');
  const hidden = await engine.docker('run', '--rm', '--user', 'ghost', 'startfs-linked-opaque', 'true');
  t.is(hidden.code, 125);
  t.regex(hidden.stderr, /unable to find user ghost: no matching entries in passwd file/);
});

test.serial('unknown user and group: Docker\'s errors, exit 125, container left created', async (t) => {
  const user = await engine.docker('run', '--name', 'startfs-nouser', '--user', 'xyz', 'busybox', 'true');
  t.is(user.code, 125);
  t.regex(user.stderr, /unable to find user xyz: no matching entries in passwd file/);
  t.is(await engine.dockerOk('inspect', '-f', '{{.State.Status}}', 'startfs-nouser'), 'created\n');
  await engine.dockerOk('rm', 'startfs-nouser');
  const group = await engine.docker('run', '--rm', '--user', 'root:nogroup-xyz', 'busybox', 'true');
  t.is(group.code, 125);
  t.regex(group.stderr, /unable to find group nogroup-xyz: no matching entries in group file/);
});

test.serial('a missing WorkingDir is created, root-owned 0755 even for another user; existing ones are kept', async (t) => {
  const out = await engine.dockerOk('run', '--rm', '--user', 'app', '-w', '/srv/deep/work', 'startfs-users', 'sh', '-c', 'pwd; stat -c "%u:%g %a" . /srv; touch x 2>&1 || true');
  const lines = out.trim().split('\n');
  t.is(lines[0], '/srv/deep/work');
  t.is(lines[1], '0:0 755');
  t.is(lines[2], '0:0 755');
  t.regex(lines[3] ?? '', /Permission denied/);
  // An existing directory of a lower layer keeps its owner and mode (/tmp is 1777 in busybox).
  t.is(await engine.dockerOk('run', '--rm', '-w', '/tmp/sub', 'busybox', 'stat', '-c', '%a %u', '/tmp', '.'), '1777 0\n755 0\n');
  // A WorkingDir through a symlink is made at the link's target, inside the container.
  t.is(await engine.dockerOk('run', '--rm', '-w', '/etc/passwd.link.dir', 'startfs-users', 'pwd'), '/etc/passwd.link.dir\n');
  // Made at create, as Docker: a file in the way fails the create; diff shows a created container's.
  const notDir = await engine.docker('create', '-w', '/etc/passwd', 'busybox', 'true');
  t.not(notDir.code, 0);
  t.regex(notDir.stderr, /Cannot mkdir: \/etc\/passwd is not a directory/);
  const created = (await engine.dockerOk('create', '-w', '/new/dir', 'busybox', 'true')).trim();
  t.is(await engine.dockerOk('diff', created), 'A /new\nA /new/dir\n');
  await engine.dockerOk('rm', created);
});

test.serial('the rootfs is mounted only to copy image content into a new volume, at create as Docker', async (t) => {
  const before = await rootfsMounts();
  // User by name, groups, a new WorkingDir: all from the layers.
  t.is(await engine.dockerOk('run', '--rm', '--user', 'app', '-w', '/made/here', 'startfs-users', 'pwd'), '/made/here\n');
  t.is(await rootfsMounts(), before);
  // -v over a directory the image has: the volume gets its files at create, through a mounted rootfs...
  await engine.dockerOk('create', '--name', 'startfs-copyup', '-v', '/data', 'startfs-users', 'cat', '/data/passwd');
  t.is(await rootfsMounts(), before + 1);
  // ...so a container taking it with --volumes-from sees them before the source ever ran.
  t.is(await engine.dockerOk('run', '--rm', '--volumes-from', 'startfs-copyup', 'busybox', 'cat', '/data/passwd'), 'ghost:x:77:77::/:/bin/sh\n');
  // Its starts copy nothing and mount nothing.
  t.is(await engine.dockerOk('start', '-a', 'startfs-copyup'), 'ghost:x:77:77::/:/bin/sh\n');
  t.is(await engine.dockerOk('start', '-a', 'startfs-copyup'), 'ghost:x:77:77::/:/bin/sh\n');
  t.is(await rootfsMounts(), before + 1);
  await engine.dockerOk('rm', '-v', 'startfs-copyup');
  // An opaque directory's content is what the copy-up takes.
  t.is(await engine.dockerOk('run', '--rm', '--user', 'app', '-v', '/data', 'startfs-opaque', 'ls', '/data'), 'other\n');
});
