/**
 * 200 create/start/delete cycles leak nothing: no mounts, no cgroups, no processes, no fds in the
 * caller, no state. (The runtime exits after each call, so leaks would show on the host.)
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { makeBusyboxBundle } from '../helpers/busybox-bundle.js';
import { RuncCli, processAlive } from '../helpers/runc-cli.js';

const CYCLES = 200;

// Only mounts that could be ours: the host is shared with other jobs that mount things meanwhile.
// A container's mounts live in its own mount namespace; one leaking onto the host would sit under
// the bundle (rootfs) or the runtime's state root.
const mountsUnder = (...dirs: string[]) =>
  readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => dirs.some((dir) => line.includes(dir)));
const fdCount = () => readdirSync('/proc/self/fd').length;
const cgroupsWith = (prefix: string) =>
  readdirSync('/sys/fs/cgroup').flatMap((controller) => {
    try {
      return readdirSync(`/sys/fs/cgroup/${controller}/tsd-runc`).filter((name) => name.startsWith(prefix));
    } catch {
      return [];
    }
  });

test(`${CYCLES} create/start/delete cycles leave no mount, cgroup, process, fd or state behind`, async (t) => {
  const runc = new RuncCli();
  const bundle = makeBusyboxBundle(['true']);
  const prefix = `tsdtest-leak-${randomBytes(3).toString('hex')}`;
  const mountsBefore = mountsUnder(bundle.dir, runc.root);
  const fdsBefore = fdCount();
  const pids: number[] = [];
  const pidFile = join(bundle.dir, 'init.pid');
  try {
    for (let i = 0; i < CYCLES; i++) {
      const cid = `${prefix}-${i}`;
      await runc.ok(['create', '-b', bundle.dir, '--pid-file', pidFile, cid]);
      pids.push(Number(readFileSync(pidFile, 'utf8')));
      await runc.ok(['start', cid]);
      await runc.ok(['delete', '--force', cid]);
    }
    t.deepEqual(mountsUnder(bundle.dir, runc.root), mountsBefore);
    t.is(fdCount(), fdsBefore);
    t.deepEqual(cgroupsWith(prefix), []);
    t.deepEqual(pids.filter(processAlive), []);
    t.deepEqual(runc.leftovers(), []);
  } finally {
    await runc.cleanup();
    bundle.remove();
  }
});
