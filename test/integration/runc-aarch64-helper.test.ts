/**
 * The aarch64 helper (the one the arm64 guest image ships) runs containers: on this x86_64 host
 * it runs under Debian's qemu-user (qemu-aarch64-static, from scripts/setup-host.sh) through
 * TSD_RUNC_HELPER, with the real kernel doing the namespaces, mounts and pivot_root. The
 * rootfs is the host's busybox; the helper's execve hands it to the kernel as a native binary.
 */
import test from 'ava';
import { chmodSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { makeBusyboxBundle } from '../helpers/busybox-bundle.js';
import { RuncCli, processAlive } from '../helpers/runc-cli.js';

const QEMU = '/usr/bin/qemu-aarch64-static';
const HELPER = resolve('dist/native/aarch64/tsd-runc-helper');
const EM_AARCH64 = 183;
const dir = mkdtempSync(join(tmpdir(), 'tsdtest-arm64-helper-'));
const calls = join(dir, 'calls');

// The runtime starts $TSD_RUNC_HELPER; this wrapper notes each start and runs the arm64 binary under qemu.
const wrapper = join(dir, 'helper');
writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> ${calls}\nexec ${QEMU} ${HELPER} "$@"\n`);
chmodSync(wrapper, 0o755);
process.env.TSD_RUNC_HELPER = wrapper;

test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function elfMachine(path: string): number {
  const header = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  readSync(fd, header, 0, 20, 0);
  closeSync(fd);
  return header.readUInt16LE(18);
}

test.serial('the helper under test is the aarch64 build, and qemu-user is installed', (t) => {
  t.is(elfMachine(HELPER), EM_AARCH64);
  t.true(existsSync(QEMU), `${QEMU} missing: run scripts/setup-host.sh`);
});

test.serial('run: the arm64 helper creates the namespaces, pivots and execs; exit status comes back', async (t) => {
  const runc = new RuncCli();
  const bundle = makeBusyboxBundle(['sh', '-c', 'echo pid=$$; hostname; ls /proc/1/ns/ >/dev/null && echo ns-ok; exit 7']);
  bundle.spec.hostname = 'arm64-helper';
  bundle.save();
  t.teardown(() => bundle.remove());
  try {
    const result = await runc.run(['run', '--bundle', bundle.dir, `tsdtest-arm-${randomBytes(3).toString('hex')}`]);
    t.is(result.code, 7, result.stderr);
    t.is(result.stdout, 'pid=1\narm64-helper\nns-ok\n');
    t.regex(readFileSync(calls, 'utf8'), /^init \d+( warm)?$/m, 'the arm64 helper was started (by the front end, or by the runtime)');
    t.deepEqual(runc.leftovers(), []);
  } finally {
    await runc.cleanup();
  }
});

test.serial('create, start, state, kill, delete with the arm64 helper leave nothing behind', async (t) => {
  const runc = new RuncCli();
  const bundle = makeBusyboxBundle(['sleep', '1000']);
  t.teardown(() => bundle.remove());
  const cid = `tsdtest-arm-${randomBytes(3).toString('hex')}`;
  try {
    await runc.ok(['create', '--bundle', bundle.dir, cid]);
    const created = await runc.state(cid);
    t.is(created.status, 'created');
    await runc.ok(['start', cid]);
    t.is((await runc.state(cid)).status, 'running');
    t.regex(await execedCommandLine(created.pid), /^sleep\0/);
    await runc.ok(['kill', cid, 'KILL']);
    for (let i = 0; i < 250 && processAlive(created.pid); i++) await new Promise((r) => setTimeout(r, 20));
    t.false(processAlive(created.pid));
    await runc.ok(['delete', cid]);
    t.deepEqual(runc.leftovers(), []);
    t.false(existsSync(`/sys/fs/cgroup/pids/tsd-runc/${cid}`));
  } finally {
    await runc.cleanup();
  }
});

test.serial('the arm64 front end (bin/tsd-runc in the arm64 image) runs the runtime through Node and starts and deletes on its fast path', async (t) => {
  const FRONT = resolve('dist/native/aarch64/tsd-runc');
  t.is(elfMachine(FRONT), EM_AARCH64);
  // Under qemu-user the front end execs a Node for this host (its own choice would be the cache's arm64 one).
  const front = join(dir, 'front');
  writeFileSync(front, `#!/bin/sh\nexport TSD_RUNC_NODE=${process.execPath} TSD_RUNC_FRONT_DEBUG=1\nexec ${QEMU} ${FRONT} "$@"\n`);
  chmodSync(front, 0o755);
  const runc = new RuncCli(front);
  const bundle = makeBusyboxBundle(['sleep', '1000']);
  t.teardown(() => bundle.remove());
  const cid = `tsdtest-arm-front-${randomBytes(3).toString('hex')}`;
  try {
    const version = await runc.run(['--version']);
    t.regex(version.stdout, /^tsd-runc version \d+\.\d+\.\d+\n/);
    t.regex(version.stderr, /^tsd-runc front: node \(/m);
    const create = await runc.run(['create', '--bundle', bundle.dir, cid]);
    t.is(create.code, 0, create.stderr);
    const { pid } = await runc.state(cid);
    const start = await runc.run(['start', cid]);
    t.is(start.code, 0, start.stderr);
    t.regex(start.stderr, /^tsd-runc front: fast start$/m);
    t.regex(await execedCommandLine(pid), /^sleep\0/);
    const del = await runc.run(['delete', '--force', cid]);
    t.is(del.code, 0, del.stderr);
    t.regex(del.stderr, /^tsd-runc front: fast delete$/m);
    t.false(processAlive(pid));
    t.deepEqual(runc.leftovers(), []);
    t.false(existsSync(`/sys/fs/cgroup/pids/tsd-runc/${cid}`));
  } finally {
    await runc.cleanup();
  }
});

/**
 * The container's command line once it has exec'd: `start` returns when the init has been released
 * (as runc's does), before its execve, which under qemu-user on a loaded host can come a while later.
 * Polls up to 60 s (no timing is asserted), then returns what it last saw.
 */
async function execedCommandLine(pid: number): Promise<string> {
  let seen = '';
  for (let attempt = 0; attempt < 600; attempt++) {
    seen = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (seen.startsWith('sleep\0')) return seen;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return seen;
}
