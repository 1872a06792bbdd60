/**
 * tsd-runc lifecycle on this host (root, real namespaces): create → created → start → running →
 * stopped → delete; exit codes and signals; run attached and detached; pid-file; runc-style errors.
 * Every test ends with nothing left: no state, no cgroup, no process.
 */
import test from 'ava';
import { chmodSync, existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { makeBusyboxBundle } from '../helpers/busybox-bundle.js';
import { DEBIAN_RUNC, RuncCli, processAlive } from '../helpers/runc-cli.js';

const id = (name: string) => `tsdtest-${name}-${randomBytes(3).toString('hex')}`;
const cgroupDir = (cid: string) => `/sys/fs/cgroup/pids/tsd-runc/${cid}`;

async function waitUntil(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

test('create leaves the container created; start runs it; kill stops it; delete removes everything', async (t) => {
  const runc = new RuncCli();
  const bundle = makeBusyboxBundle(['sh', '-c', 'echo started > /tmp/marker; exec sleep 1000'], (s) => (s.root!.readonly = false));
  const cid = id('life');
  try {
    await runc.ok(['create', '--bundle', bundle.dir, cid]);
    const created = await runc.state(cid);
    t.is(created.status, 'created');
    t.true(processAlive(created.pid));
    t.false(existsSync(join(bundle.rootfs, 'tmp/marker')), 'the user process must not run before start');
    t.deepEqual(Object.keys(created), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner']);
    t.is(created.bundle, bundle.dir);

    await runc.ok(['start', cid]);
    await waitUntil('the marker', () => existsSync(join(bundle.rootfs, 'tmp/marker')));
    t.is((await runc.state(cid)).status, 'running');
    const list = JSON.parse(await runc.ok(['list', '--format', 'json'])) as { id: string; status: string }[];
    t.deepEqual(list.map((c) => [c.id, c.status]), [[cid, 'running']]);
    t.is((await runc.ok(['list', '-q'])).trim(), cid);

    const again = await runc.run(['start', cid]);
    t.is(again.code, 1);
    t.regex(again.stderr, /cannot start an already running container/);

    const busy = await runc.run(['delete', cid]);
    t.is(busy.code, 1);
    t.regex(busy.stderr, /cannot delete container .* that is not stopped: running/);

    await runc.ok(['kill', cid, 'KILL']);
    await waitUntil('stopped', async () => (await runc.state(cid)).status === 'stopped');
    t.true(existsSync(cgroupDir(cid)));
    await runc.ok(['delete', cid]);
    t.false(existsSync(cgroupDir(cid)), 'the cgroup is removed');
    t.false(processAlive(created.pid));
    t.deepEqual(runc.leftovers(), []);
    const gone = await runc.run(['state', cid]);
    t.is(gone.code, 1);
    t.regex(gone.stderr, /container does not exist/);
  } finally {
    await runc.cleanup();
    bundle.remove();
  }
});

test('run attached prints the output and exits with the container status; the container is removed', async (t) => {
  const runc = new RuncCli();
  const bundle = makeBusyboxBundle(['sh', '-c', 'echo out; echo err >&2; exit 7']);
  const cid = id('exit');
  try {
    const result = await runc.run(['run', '-b', bundle.dir, cid]);
    t.is(result.code, 7);
    t.is(result.stdout, 'out\n');
    t.regex(result.stderr, /err/);
    t.deepEqual(runc.leftovers(), []);
    t.false(existsSync(cgroupDir(cid)));
  } finally {
    await runc.cleanup();
    bundle.remove();
  }
});

test('a container killed by a signal reports 128+signal; kill takes names and numbers; --all reaches every process', async (t) => {
  const runc = new RuncCli();
  // Without a pid namespace the shell is not pid 1, so default signal dispositions apply.
  const bundle = makeBusyboxBundle(['sh', '-c', 'sleep 1000 & sleep 1000 & wait'], (s) => {
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
  });
  const cid = id('sig');
  try {
    const child = runc.spawn(['run', '-b', bundle.dir, cid], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitUntil('running', async () => (await runc.run(['state', cid])).stdout.includes('"running"'));
    const pids = JSON.parse(await runc.ok(['ps', '--format', 'json', cid])) as number[];
    await waitUntil('three processes', async () => (JSON.parse(await runc.ok(['ps', '--format', 'json', cid])) as number[]).length === 3);
    t.true(pids.length >= 1);
    const bad = await runc.run(['kill', cid, 'SIGNOTHING']);
    t.is(bad.code, 1);
    t.regex(bad.stderr, /unknown signal \\?"SIGNOTHING/);
    await runc.ok(['kill', '--all', cid, '15']);
    t.is(await exited, 128 + 15);
    t.deepEqual(runc.leftovers(), []);
  } finally {
    await runc.cleanup();
    bundle.remove();
  }
});

test('run --detach returns at once, writes the pid file, and delete --force stops the container', async (t) => {
  const runc = new RuncCli();
  const bundle = makeBusyboxBundle(['sleep', '1000']);
  const cid = id('detach');
  const pidFile = join(bundle.dir, 'container.pid');
  try {
    await runc.ok(['run', '-d', '--pid-file', pidFile, '-b', bundle.dir, cid]);
    const state = await runc.state(cid);
    t.is(state.status, 'running');
    t.is(Number(readFileSync(pidFile, 'utf8')), state.pid);
    await runc.ok(['delete', '--force', cid]);
    t.false(processAlive(state.pid));
    t.deepEqual(runc.leftovers(), []);
    t.false(existsSync(cgroupDir(cid)));
  } finally {
    await runc.cleanup();
    bundle.remove();
  }
});

test('errors: bad config names the field, missing rootfs, duplicate and unknown ids, failing mount leaves nothing', async (t) => {
  const runc = new RuncCli();
  const bundle = makeBusyboxBundle(['true']);
  const cid = id('err');
  try {
    writeFileSync(join(bundle.dir, 'config.json'), '{ "ociVersion": "1.2.0", ');
    let r = await runc.run(['create', '-b', bundle.dir, cid]);
    t.is(r.code, 1);
    t.regex(r.stderr, /config\.json: malformed JSON/);

    bundle.spec.process!.args = [5 as unknown as string];
    bundle.save();
    r = await runc.run(['create', '-b', bundle.dir, cid]);
    t.regex(r.stderr, /process\.args\[0\]: must be a string/);

    bundle.spec.process!.args = ['true'];
    bundle.spec.root!.path = 'nonexistent';
    bundle.save();
    r = await runc.run(['create', '-b', bundle.dir, cid]);
    t.regex(r.stderr, /rootfs .*nonexistent.* does not exist/);

    bundle.spec.root!.path = 'rootfs';
    bundle.spec.mounts!.push({ destination: '/data', type: 'bind', source: '/nonexistent-tsdtest', options: ['rbind'] });
    bundle.save();
    r = await runc.run(['create', '-b', bundle.dir, cid]);
    t.is(r.code, 1);
    t.regex(r.stderr, /mount .*nonexistent-tsdtest.*no such file or directory \(ENOENT\)|ENOENT/);
    t.deepEqual(runc.leftovers(), []);
    t.false(existsSync(cgroupDir(cid)));

    bundle.spec.mounts!.pop();
    bundle.spec.process!.args = ['sleep', '1000'];
    bundle.save();
    await runc.ok(['create', '-b', bundle.dir, cid]);
    r = await runc.run(['create', '-b', bundle.dir, cid]);
    t.regex(r.stderr, /container with id exists/);
    r = await runc.run(['start', 'tsdtest-does-not-exist']);
    t.regex(r.stderr, /container does not exist: tsdtest-does-not-exist/);
    r = await runc.run(['create', '-b', bundle.dir, 'bad/id']);
    t.regex(r.stderr, /invalid id format/);
    const { pid } = await runc.state(cid);
    await runc.ok(['delete', cid]); // a created container is deleted without --force
    t.false(processAlive(pid));
    // A create killed before it saved anything leaves only a directory: delete --force clears it.
    mkdirSync(join(runc.root, 'tsdtest-half-created'));
    await runc.ok(['delete', '--force', 'tsdtest-half-created']);
    r = await runc.run(['--systemd-cgroup', 'list']);
    t.regex(r.stderr, /--systemd-cgroup is not supported/);
    t.deepEqual(runc.leftovers(), []);
  } finally {
    await runc.cleanup();
    bundle.remove();
  }
});

test('--log with --log-format json gets the error as JSON (what containerd reads)', async (t) => {
  const runc = new RuncCli();
  const dir = join(runc.root, 'logs');
  mkdirSync(dir);
  const log = join(dir, 'log.json');
  const r = await runc.run(['--log', log, '--log-format', 'json', 'state', 'tsdtest-nothing']);
  t.is(r.code, 1);
  const entry = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').at(-1)!) as { level: string; msg: string };
  t.is(entry.level, 'error');
  t.regex(entry.msg, /container does not exist/);
  await runc.cleanup();
});

test('a helper step failing with EPERM names the step; nothing is left behind', async (t) => {
  // sysfs cannot be mounted from a user namespace that does not own the network namespace.
  const netns = `tsdtest-eperm-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', netns]);
  const runc = new RuncCli();
  const bundle = makeBusyboxBundle(['true'], (s) => {
    s.linux!.namespaces = [...s.linux!.namespaces!.filter((n) => n.type !== 'network'), { type: 'user' }, { type: 'network', path: `/run/netns/${netns}` }];
    s.linux!.uidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
  });
  chmodSync(bundle.dir, 0o755);
  const cid = id('eperm');
  try {
    const r = await runc.run(['run', '-b', bundle.dir, cid]);
    t.is(r.code, 1);
    t.regex(r.stderr, /container init failed: mount sysfs: operation not permitted \(EPERM\)/);
    t.deepEqual(runc.leftovers(), []);
    t.false(existsSync(cgroupDir(cid)));
  } finally {
    await runc.cleanup();
    bundle.remove();
    execFileSync('ip', ['netns', 'del', netns]);
  }
});

// What containerd's runc shim calls once a container is gone (its task delete, then the cleanup
// after the shim disconnects: `delete --force` again), answered as Debian's runc answers it.
// Debian's dockerd logs "failed to remove runc container … exit status 255" now and then after
// `docker rm -f`: that is a race inside containerd-shim-runc-v2's `delete` action (its SIGCHLD
// reaper and os/exec both wait for the runtime); it shows with Debian's runc too (docs/runc.md).
test('after the process exits: state, kill, delete and the cleanup delete --force answer like runc', async (t) => {
  const bundle = makeBusyboxBundle(['true']);
  const sequence: string[][] = [['state'], ['kill'], ['kill', '--all'], ['delete'], ['delete', '--force'], ['state'], ['kill'], ['delete']];
  const answers: Record<string, { args: string; code: number; stdout: string }[]> = {};
  try {
    for (const [name, runtime] of [['tsd-runc', new RuncCli()], ['runc', new RuncCli(DEBIAN_RUNC)]] as const) {
      const cid = id('gone');
      try {
        await runtime.ok(['create', '--bundle', bundle.dir, cid]);
        const { pid } = await runtime.state(cid);
        await runtime.ok(['start', cid]);
        await waitUntil('the process to exit', () => !processAlive(pid));
        answers[name] = [];
        for (const args of sequence) {
          const result = await runtime.run([...args, cid, ...(args[0] === 'kill' ? ['9'] : [])]);
          // state's JSON differs in detail between the runtimes; its status is what callers read.
          const stdout = args[0] === 'state' && result.code === 0 ? (JSON.parse(result.stdout) as { status: string }).status : result.stdout;
          answers[name].push({ args: args.join(' '), code: result.code, stdout });
        }
        t.deepEqual(runtime.leftovers(), [], `${name} left state behind`);
      } finally {
        await runtime.cleanup();
      }
    }
    t.deepEqual(answers['tsd-runc'], answers.runc);
    // The cleanup's delete --force of a container already deleted: exit 0, nothing printed.
    t.deepEqual(answers['tsd-runc']!.find((a) => a.args === 'delete --force'), { args: 'delete --force', code: 0, stdout: '' });
  } finally {
    bundle.remove();
  }
});

// runc looks the program up before `create` returns, so a missing or non-executable one is a
// create-time error; dockerd matches its wording to answer 127 or 126. tsd-runc does the same.
test('a missing or non-executable program fails create with runc\'s message; nothing is left', async (t) => {
  for (const program of ['nonexistent-cmd', '/bin/nope', '/bin']) {
    const bundle = makeBusyboxBundle([program]);
    try {
      const messages: string[] = [];
      for (const runtime of [new RuncCli(), new RuncCli(DEBIAN_RUNC)]) {
        const cid = id('lookpath');
        try {
          const result = await runtime.run(['create', '--bundle', bundle.dir, cid]);
          t.is(result.code, 1, `${program}: ${result.stderr}`);
          messages.push(/exec: "[^"]*": [^"]*?(?="|$)/m.exec(result.stderr.replace(/\\"/g, '"'))?.[0] ?? result.stderr);
          t.deepEqual(runtime.leftovers(), []);
          t.false(existsSync(cgroupDir(cid)));
        } finally {
          await runtime.cleanup();
        }
      }
      t.is(messages[0], messages[1], `${program}: tsd-runc and runc word it alike`);
    } finally {
      bundle.remove();
    }
  }
});
