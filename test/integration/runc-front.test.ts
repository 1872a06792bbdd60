/**
 * The C front end (bin/tsd-runc → guest/native/front.c): `start` and `delete` run without Node
 * when the runtime's fast-path file says so, and fall back to Node otherwise. With
 * TSD_RUNC_FRONT_DEBUG=1 the front end says on stderr which path it took, so both are observable.
 */
import test from 'ava';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { makeBusyboxBundle } from '../helpers/busybox-bundle.js';
import { RuncCli, processAlive } from '../helpers/runc-cli.js';

process.env.TSD_RUNC_FRONT_DEBUG = '1';

const FAST = (verb: string) => new RegExp(`^tsd-runc front: fast ${verb}$`, 'm');
const NODE = /^tsd-runc front: node \(/m;
const id = (name: string) => `tsdtest-front-${name}-${randomBytes(3).toString('hex')}`;
/** stderr without the front end's own trace line. */
const plain = (stderr: string) => stderr.replace(/^tsd-runc front: .*\n/gm, '');

async function waitUntil(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

function withRuntime(name: string, args: string[], change?: Parameters<typeof makeBusyboxBundle>[1]) {
  const runc = new RuncCli();
  const bundle = makeBusyboxBundle(args, change);
  const cid = id(name);
  const stateDir = join(runc.root, cid);
  const done = async () => {
    await runc.cleanup();
    bundle.remove();
  };
  return { runc, bundle, cid, stateDir, done };
}

function recordedDirs(stateDir: string): string[] {
  const record = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as { cgroup: { dirs: Record<string, string> } };
  return Object.values(record.cgroup.dirs);
}

test('start and delete of a plain container take the fast path; the states and the cleanup are the runtime\'s', async (t) => {
  const { runc, cid, bundle, stateDir, done } = withRuntime('plain', ['sleep', '1000']);
  try {
    await runc.ok(['create', '--bundle', bundle.dir, cid]);
    const fast = readFileSync(join(stateDir, 'fast-path'), 'utf8').split('\n');
    t.is(fast[0], 'tsd-runc-fast-path 1');
    t.true(fast.includes('start fifo') && fast.includes('delete rmdir') && fast.includes('kill init') && fast.includes('force kill'));
    const dirs = recordedDirs(stateDir);
    t.true(dirs.length > 0);
    t.deepEqual(fast.filter((l) => l.startsWith('cgroup ')).map((l) => l.slice(7)), dirs);
    const { pid } = await runc.state(cid);

    const start = await runc.run(['start', cid]);
    t.is(start.code, 0, start.stderr);
    t.regex(start.stderr, FAST('start'));
    t.is(plain(start.stderr), '');
    t.is((await runc.state(cid)).status, 'running');
    t.false(existsSync(join(stateDir, 'exec.fifo')));
    await waitUntil('sleep to run', () => readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep\0'));

    await runc.ok(['kill', cid, 'KILL']);
    await waitUntil('the init to die', () => !processAlive(pid));
    t.is((await runc.state(cid)).status, 'stopped');
    const del = await runc.run(['delete', cid]);
    t.is(del.code, 0, del.stderr);
    t.regex(del.stderr, FAST('delete'));
    t.deepEqual(runc.leftovers(), []);
    t.deepEqual(dirs.filter((d) => existsSync(d)), []);
  } finally {
    await done();
  }
});

test('kill ID N of a live init takes the fast path; names, --all and a stopped init go to the runtime', async (t) => {
  const { runc, cid, bundle, done } = withRuntime('kill', ['sh', '-c', 'trap "exit 42" USR1; trap "" TERM; while :; do sleep 0.1; done']);
  try {
    await runc.ok(['create', '--bundle', bundle.dir, cid]);
    const { pid } = await runc.state(cid);
    await runc.ok(['start', cid]);
    await waitUntil('the shell to run', () => readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sh\0'));
    await new Promise((r) => setTimeout(r, 300)); // the traps are set right after exec
    const term = await runc.run(['kill', cid]); // SIGTERM by default: trapped and ignored
    t.is(term.code, 0, term.stderr);
    t.regex(term.stderr, FAST('kill'));
    const named = await runc.run(['kill', cid, 'SIGWINCH']);
    t.is(named.code, 0, named.stderr);
    t.regex(named.stderr, NODE);
    const all = await runc.run(['kill', '--all', cid, '28']);
    t.is(all.code, 0, all.stderr);
    t.regex(all.stderr, NODE);
    t.true(processAlive(pid));
    const usr1 = await runc.run(['kill', cid, '10']);
    t.is(usr1.code, 0, usr1.stderr);
    t.regex(usr1.stderr, FAST('kill'));
    await waitUntil('the init to exit on SIGUSR1', () => !processAlive(pid));
    const stopped = await runc.run(['kill', cid, '9']);
    t.is(stopped.code, 1);
    t.regex(stopped.stderr, NODE);
    t.regex(plain(stopped.stderr), /level=error msg="container not running"\n$/);
    await runc.ok(['delete', cid]);
    t.deepEqual(runc.leftovers(), []);
  } finally {
    await done();
  }
});

test('delete --force of a created or running container takes the fast path: the init is killed, nothing is left', async (t) => {
  const { runc, cid, bundle, stateDir, done } = withRuntime('force', ['sleep', '1000']);
  try {
    for (const startFirst of [false, true]) {
      await runc.ok(['create', '--bundle', bundle.dir, cid]);
      const dirs = recordedDirs(stateDir);
      const { pid } = await runc.state(cid);
      if (startFirst) await runc.ok(['start', cid]);
      const del = await runc.run(['delete', '--force', cid]);
      t.is(del.code, 0, del.stderr);
      t.regex(del.stderr, FAST('delete'));
      t.false(processAlive(pid));
      t.deepEqual(runc.leftovers(), []);
      t.deepEqual(dirs.filter((d) => existsSync(d)), []);
    }
  } finally {
    await done();
  }
});

test('poststart and poststop hooks send start and delete to the runtime, which runs them', async (t) => {
  const marks = join('/tmp', `${id('hooks')}.log`);
  const hook = (name: string) => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${name} >> ${marks}`] });
  const { runc, cid, bundle, stateDir, done } = withRuntime('hooks', ['sleep', '1000'], (spec) => {
    spec.hooks = { poststart: [hook('poststart')], poststop: [hook('poststop')] };
  });
  try {
    await runc.ok(['create', '--bundle', bundle.dir, cid]);
    const fast = readFileSync(join(stateDir, 'fast-path'), 'utf8').split('\n');
    t.false(fast.includes('start fifo') || fast.includes('delete rmdir') || fast.includes('force kill'), 'start and delete need the runtime');
    const start = await runc.run(['start', cid]);
    t.is(start.code, 0, start.stderr);
    t.regex(start.stderr, NODE);
    t.is(readFileSync(marks, 'utf8'), 'poststart\n');
    const del = await runc.run(['delete', '--force', cid]);
    t.is(del.code, 0, del.stderr);
    t.regex(del.stderr, NODE);
    t.is(readFileSync(marks, 'utf8'), 'poststart\npoststop\n');
    t.deepEqual(runc.leftovers(), []);
  } finally {
    rmSync(marks, { force: true });
    await done();
  }
});

test('errors go to the runtime: unknown id, start of a running container, delete of a running one without --force', async (t) => {
  const { runc, cid, bundle, done } = withRuntime('errors', ['sleep', '1000']);
  try {
    const expect = async (args: string[], message: string) => {
      const result = await runc.run(args);
      t.is(result.code, 1, args.join(' '));
      t.regex(result.stderr, NODE, args.join(' '));
      t.regex(plain(result.stderr), new RegExp(`^time="[^"]+" level=error msg="${message}"\n$`), args.join(' '));
    };
    await expect(['start', 'tsdtest-front-none'], 'container does not exist: tsdtest-front-none');
    await expect(['delete', 'tsdtest-front-none'], 'container does not exist: tsdtest-front-none');
    await runc.ok(['create', '--bundle', bundle.dir, cid]);
    await runc.ok(['start', cid]);
    await expect(['start', cid], 'cannot start an already running container');
    await expect(['delete', cid], `cannot delete container ${cid} that is not stopped: running`);
    // Flags the front end does not parse itself go to the runtime too (and mean the same there).
    const unknown = await runc.run(['--no-such-flag', 'start', cid]);
    t.is(unknown.code, 1);
    t.regex(plain(unknown.stderr), /flag provided but not defined: -no-such-flag/);
    t.is((await runc.state(cid)).status, 'running');
  } finally {
    await done();
  }
});

/** The entries of a JSON log with the id replaced, the time checked and dropped. */
function entries(file: string, cid: string): { level: string; msg: string }[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((line) => {
    const { level, msg, time, ...rest } = JSON.parse(line) as { level: string; msg: string; time: string };
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(time) || Object.keys(rest).length > 0) throw new Error(`odd entry ${line}`);
    return { level, msg: msg.replaceAll(cid, 'ID') };
  });
}

test('--debug with --log and --log-format json: the fast path logs exactly what the runtime logs', async (t) => {
  const fast = withRuntime('log-fast', ['sleep', '1000']);
  const node = withRuntime('log-node', ['sleep', '1000']);
  try {
    const logs: Record<string, { level: string; msg: string }[]> = {};
    for (const [name, c] of [['fast', fast], ['node', node]] as const) {
      const log = join(c.bundle.dir, 'runtime.log');
      const flags = ['--debug', '--log', log, '--log-format', 'json'];
      await c.runc.ok(['create', '--bundle', c.bundle.dir, c.cid]);
      if (name === 'node') rmSync(join(c.stateDir, 'fast-path'));
      writeFileSync(log, '');
      const start = await c.runc.run([...flags, 'start', c.cid]);
      const del = await c.runc.run([...flags, 'delete', '-f', c.cid]);
      t.is(start.code, 0);
      t.is(del.code, 0);
      t.regex(start.stderr, name === 'fast' ? FAST('start') : NODE);
      t.regex(del.stderr, name === 'fast' ? FAST('delete') : NODE);
      t.is(plain(start.stderr) + plain(del.stderr), '', 'with --log nothing else goes to stderr');
      logs[name] = entries(log, c.cid);
      t.deepEqual(c.runc.leftovers(), []);
    }
    t.deepEqual(logs.fast, [{ level: 'debug', msg: 'start ID' }, { level: 'debug', msg: 'delete -f ID' }]);
    t.deepEqual(logs.fast, logs.node);
    // Text format on stderr: the runtime's shape.
    await fast.runc.ok(['create', '--bundle', fast.bundle.dir, fast.cid]);
    const text = await fast.runc.run(['--debug', 'start', fast.cid]);
    t.regex(text.stderr, FAST('start'));
    t.regex(plain(text.stderr), new RegExp(`^time="\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z" level=debug msg="start ${fast.cid}"\n$`));
  } finally {
    await fast.done();
    await node.done();
  }
});

test('the init is recognised by pid and start time: a reused pid is not it; an unknown version goes to the runtime', async (t) => {
  const { runc, cid, bundle, stateDir, done } = withRuntime('pidreuse', ['sleep', '1000']);
  try {
    const file = join(stateDir, 'fast-path');
    const create = async () => {
      await runc.ok(['create', '--bundle', bundle.dir, cid]);
      const { pid } = await runc.state(cid);
      await runc.ok(['kill', cid, 'KILL']);
      await waitUntil('the init to die', () => !processAlive(pid));
      return String(pid);
    };
    const ownStartTime = (() => {
      const stat = readFileSync('/proc/self/stat', 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
    })();

    // This test's own (live) pid with the init's start time: a reused pid, so the container is stopped.
    let pid = await create();
    writeFileSync(file, readFileSync(file, 'utf8').replace(`pid ${pid}\n`, `pid ${process.pid}\n`));
    let del = await runc.run(['delete', cid]);
    t.is(del.code, 0, del.stderr);
    t.regex(del.stderr, FAST('delete'));

    // The same live pid with its real start time: alive as far as the front end can tell → runtime.
    pid = await create();
    writeFileSync(file, readFileSync(file, 'utf8').replace(`pid ${pid}\n`, `pid ${process.pid}\n`).replace(/^start-time \d+$/m, `start-time ${ownStartTime}`));
    del = await runc.run(['delete', cid]);
    t.is(del.code, 0, del.stderr);
    t.regex(del.stderr, /^tsd-runc front: node \(the init is alive: not stopped\)$/m);

    // Another version of the file: the runtime decides.
    await create();
    writeFileSync(file, readFileSync(file, 'utf8').replace('tsd-runc-fast-path 1', 'tsd-runc-fast-path 2'));
    del = await runc.run(['delete', cid]);
    t.is(del.code, 0, del.stderr);
    t.regex(del.stderr, NODE);
    t.deepEqual(runc.leftovers(), []);
  } finally {
    await done();
  }
});

test('the runtime\'s own delete removes the cgroup directories recorded at create', async (t) => {
  const { runc, cid, bundle, stateDir, done } = withRuntime('recorded', ['sleep', '1000']);
  try {
    await runc.ok(['create', '--bundle', bundle.dir, cid]);
    const dirs = recordedDirs(stateDir);
    t.true(dirs.every((d) => existsSync(d)));
    // Make recomputing the directories from the spec give other ones: only the record still names them.
    const statePath = join(stateDir, 'state.json');
    const record = JSON.parse(readFileSync(statePath, 'utf8')) as { spec: { linux: { cgroupsPath?: string } } };
    record.spec.linux.cgroupsPath = `/tsdtest-front-elsewhere/${cid}`;
    writeFileSync(statePath, JSON.stringify(record));
    rmSync(join(stateDir, 'fast-path'));
    const del = await runc.run(['delete', '--force', cid]);
    t.is(del.code, 0, del.stderr);
    t.regex(del.stderr, NODE);
    t.deepEqual(dirs.filter((d) => existsSync(d)), []);
    t.deepEqual(runc.leftovers(), []);
  } finally {
    await done();
  }
});

const HELPER_STARTED = /^tsd-runc front: helper started \(pid (\d+)\)$/m;
const helperPid = (stderr: string) => Number(HELPER_STARTED.exec(stderr)?.[1] ?? 0);

test('create and run: the front end starts the helper; Node gets the container\'s status from it; unused, it exits', async (t) => {
  const { runc, cid, bundle, done } = withRuntime('prefork', ['sh', '-c', 'echo out; exit 3']);
  try {
    const run = await runc.run(['run', '--bundle', bundle.dir, cid]);
    t.is(run.code, 3, run.stderr);
    t.is(run.stdout, 'out\n');
    t.is(plain(run.stderr), '');
    const pid = helperPid(run.stderr);
    t.true(pid > 0, run.stderr);
    await waitUntil('the helper to be gone', () => !processAlive(pid));
    t.deepEqual(runc.leftovers(), []);

    // Node ends without a plan (--help; a config it refuses): the helper exits by itself, silently.
    const help = await runc.run(['run', '--help']);
    t.is(help.code, 0);
    t.is(plain(help.stderr), '');
    await waitUntil('the unused helper to exit', () => !processAlive(helperPid(help.stderr)));
    const missing = await runc.run(['create', '--bundle', join(bundle.dir, 'nope'), cid]);
    t.is(missing.code, 1);
    t.is(plain(missing.stderr).trim().split('\n').length, 1, missing.stderr);
    await waitUntil('the unused helper to exit', () => !processAlive(helperPid(missing.stderr)));

    // Detached: run -d returns while the container runs; its status is the runtime's to report.
    const detached = await runc.run(['run', '-d', '--bundle', bundle.dir, cid]);
    t.is(detached.code, 0, detached.stderr);
    t.true(helperPid(detached.stderr) > 0);
    await waitUntil('the container to exit', () => JSON.parse(readFileSync(join(runc.root, cid, 'state.json'), 'utf8')).pid > 0 && !processAlive(JSON.parse(readFileSync(join(runc.root, cid, 'state.json'), 'utf8')).pid));
    t.is((await runc.state(cid)).status, 'stopped');
    await runc.ok(['delete', cid]);
    t.deepEqual(runc.leftovers(), []);
  } finally {
    await done();
  }
});

test('a helper keeping the cgroup lock warm (init FD warm) stays in its own cgroups and exits silently at end of file', async (t) => {
  // As the front end starts it: waiting for a plan, it moves itself into the cgroups it is in.
  const helper = spawn(resolve(`dist/native/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}/tsd-runc-helper`), ['init', '3', 'warm'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  helper.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((r) => helper.once('exit', (code) => r(code)));
  // Long enough for several rounds of the 4 ms loop.
  await new Promise((r) => setTimeout(r, 100));
  t.true(processAlive(helper.pid!), stderr);
  t.is(readFileSync(`/proc/${helper.pid}/cgroup`, 'utf8'), readFileSync('/proc/self/cgroup', 'utf8'));
  (helper.stdio[3] as NodeJS.WritableStream).end();
  t.is(await exited, 0);
  t.is(stderr, '');
});

test('without the front end (node runc.mjs) the runtime starts the helper itself', async (t) => {
  const { runc, cid, bundle, done } = withRuntime('spawned', ['sh', '-c', 'echo out; exit 4']);
  try {
    const result = await new Promise<{ code: number; stdout: string }>((resolvePromise) => {
      const child = spawn(process.execPath, [resolve('dist/guest/runc.mjs'), '--root', runc.root, 'run', '--bundle', bundle.dir, cid], { stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout }));
    });
    t.is(result.code, 4);
    t.is(result.stdout, 'out\n');
    t.deepEqual(runc.leftovers(), []);
  } finally {
    await done();
  }
});

for (const entries of [['runc.mjs'], ['runc.mjs', 'runc.cjs']]) {
  test(`the guest image layout: /usr/bin/tsd-runc → /opt/tsd/bin/tsd-runc runs /opt/tsd/${entries.at(-1)} with the helper beside it`, async (t) => {
    // The same files and links the image builder installs (src/image/artifacts.ts, images/rootfs), under a temporary root.
    const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
    const root = mkdtempSync(join(tmpdir(), 'tsdtest-front-layout-'));
    const opt = join(root, 'opt/tsd');
    mkdirSync(join(opt, 'bin'), { recursive: true });
    mkdirSync(join(opt, 'native', arch), { recursive: true });
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    copyFileSync(resolve(`dist/native/${arch}/tsd-runc`), join(opt, 'bin/tsd-runc'));
    for (const entry of entries) copyFileSync(resolve('dist/guest', entry), join(opt, entry));
    copyFileSync(resolve(`dist/native/${arch}/tsd-runc-helper`), join(opt, 'native', arch, 'tsd-runc-helper'));
    for (const file of ['bin/tsd-runc', `native/${arch}/tsd-runc-helper`]) chmodSync(join(opt, file), 0o755);
    symlinkSync(join(opt, 'bin/tsd-runc'), join(root, 'usr/bin/tsd-runc'));
    const runc = new RuncCli(join(root, 'usr/bin/tsd-runc'));
    const bundle = makeBusyboxBundle(['sh', '-c', 'echo in-guest-layout']);
    const cid = id('layout');
    try {
      const version = await runc.run(['--version']);
      t.regex(version.stdout, /^tsd-runc version \d+\.\d+\.\d+\n/, version.stderr);
      const run = await runc.run(['run', '--bundle', bundle.dir, cid]);
      t.is(run.code, 0, run.stderr);
      t.is(run.stdout, 'in-guest-layout\n');
      t.regex(run.stderr, HELPER_STARTED);
      await runc.ok(['create', '--bundle', bundle.dir, cid]);
      const start = await runc.run(['start', cid]);
      t.regex(start.stderr, FAST('start'));
      await waitUntil('the container to stop', () => !existsSync(join(runc.root, cid, 'exec.fifo')));
      const del = await runc.run(['delete', '--force', cid]);
      t.regex(del.stderr, FAST('delete'));
      t.deepEqual(runc.leftovers(), []);
    } finally {
      await runc.cleanup();
      bundle.remove();
      rmSync(root, { recursive: true, force: true });
    }
  });
}
