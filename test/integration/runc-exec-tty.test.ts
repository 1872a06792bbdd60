/**
 * exec joins the container (all namespaces, its cgroup); terminals through --console-socket for
 * run and exec -t (the pty master arrives over SCM_RIGHTS); ps lists the processes.
 */
import test from 'ava';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { makeBusyboxBundle } from '../helpers/busybox-bundle.js';
import { ConsoleReceiver, RuncCli } from '../helpers/runc-cli.js';

const id = (name: string) => `tsdtest-${name}-${randomBytes(3).toString('hex')}`;
const NAMESPACES = ['pid', 'net', 'mnt', 'uts', 'ipc', 'cgroup'];

test('exec joins every namespace and the cgroup of the container; ps lists both processes', async (t) => {
  const runc = new RuncCli();
  const bundle = makeBusyboxBundle(['sleep', '1000']);
  const cid = id('exec');
  try {
    await runc.ok(['run', '-d', '-b', bundle.dir, cid]);
    const init = (await runc.state(cid)).pid;
    const out = await runc.ok(['exec', '--env', 'X=42', '--cwd', '/etc', cid, 'sh', '-c', `for n in ${NAMESPACES.join(' ')}; do readlink /proc/self/ns/$n; done; echo $X; pwd; hostname`]);
    const lines = out.trim().split('\n');
    t.deepEqual(lines.slice(0, NAMESPACES.length), NAMESPACES.map((n) => readlinkSync(`/proc/${init}/ns/${n}`)));
    t.deepEqual(lines.slice(NAMESPACES.length), ['42', '/etc', 'tsd-runc']);

    const pidFile = join(bundle.dir, 'exec.pid');
    await runc.ok(['exec', '-d', '--pid-file', pidFile, cid, 'sleep', '500']);
    const execPid = Number(readFileSync(pidFile, 'utf8'));
    t.is(readFileSync(`/proc/${execPid}/cgroup`, 'utf8'), readFileSync(`/proc/${init}/cgroup`, 'utf8'));
    const ps = JSON.parse(await runc.ok(['ps', '--format', 'json', cid])) as number[];
    t.deepEqual(ps.sort(), [init, execPid].sort());
    const table = await runc.ok(['ps', cid]);
    t.regex(table, /PID/);
    t.regex(table, /sleep 500/);

    const status = await runc.run(['exec', cid, 'sh', '-c', 'exit 5']);
    t.is(status.code, 5);
    await runc.ok(['delete', '--force', cid]);
    t.deepEqual(runc.leftovers(), []);
  } finally {
    await runc.cleanup();
    bundle.remove();
  }
});

test('run with --console-socket gives the container a working pty; exec -t likewise', async (t) => {
  const runc = new RuncCli();
  const bundle = makeBusyboxBundle(['sh'], (s) => (s.process!.terminal = true));
  const cid = id('tty');
  const consoleA = await ConsoleReceiver.listen(join(bundle.dir, 'a.sock'));
  let consoleB: ConsoleReceiver | undefined;
  try {
    await runc.ok(['run', '-d', '--console-socket', join(bundle.dir, 'a.sock'), '-b', bundle.dir, cid]);
    consoleA.write('tty; echo answer=$((6*7))\n');
    const seen = await consoleA.waitFor(/answer=42/);
    t.regex(seen, /\/dev\/pts\/0/);

    consoleB = await ConsoleReceiver.listen(join(bundle.dir, 'b.sock'));
    const exec = runc.spawn(['exec', '-t', '--console-socket', join(bundle.dir, 'b.sock'), cid, 'sh'], { stdio: 'ignore' });
    const execExit = new Promise<number | null>((r) => exec.on('exit', (code) => r(code)));
    consoleB.write('tty; stty size; exit 3\n');
    const execSeen = await consoleB.waitFor(/\/dev\/pts\/1/);
    t.regex(execSeen, /\/dev\/pts\/1/);
    t.is(await execExit, 3);

    consoleA.write('exit\n');
    await runc.ok(['delete', '--force', cid]);
    t.deepEqual(runc.leftovers(), []);
  } finally {
    consoleA.close();
    consoleB?.close();
    await runc.cleanup();
    bundle.remove();
  }
});

test('attached run and exec with a terminal and no console socket relay the pty to the runtime\'s stdio', async (t) => {
  const runc = new RuncCli();
  const bundle = makeBusyboxBundle(['sh'], (s) => (s.process!.terminal = true));
  const cid = id('relay');
  try {
    const r = await runc.run(['run', '-b', bundle.dir, cid], { input: 'tty; echo v=$((3*3)); exit 4\n' });
    t.is(r.code, 4, r.stderr);
    t.regex(r.stdout, /\/dev\/pts\/0/);
    t.regex(r.stdout, /v=9/);
    t.deepEqual(runc.leftovers(), []);
  } finally {
    await runc.cleanup();
    bundle.remove();
  }
});
