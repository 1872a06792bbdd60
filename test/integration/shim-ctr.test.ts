/**
 * Our shim (bin/containerd-shim-tsd-v2, runtime io.containerd.tsd.v2) under Debian's real
 * containerd 1.6, driven by the real `ctr`: every call crosses the real shim v2 protocol (the
 * start/delete verbs, the Task service over ttrpc, events forwarded to containerd's ttrpc).
 */
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBusyboxContainerd, type BusyboxContainerd } from '../helpers/busybox-containerd.js';
import { ctrOnTerminal } from '../helpers/ctr-terminal.js';
import { SHIM_RUNTIME, type DebianContainerd } from '../helpers/debian-containerd.js';
import { shimProtos, TASK_SERVICE } from '../../guest/shim/shim-protos.js';
import { GrpcCode, ServiceClient, TtrpcClient, type TtrpcError } from '../../guest/ttrpc/index.js';

let containerd: DebianContainerd;
let setup: BusyboxContainerd;
let image: string;
const R = ['--runtime', SHIM_RUNTIME];
// The shims containerd starts inherit its environment: no idle grace period here, so the group
// shim leaves as soon as it is idle (shim-linger.test.ts tests the grace period).
process.env['TSD_SHIM_IDLE_SECONDS'] = '0';
const unique = (name: string): string => `${name}-${process.pid}`;

test.before(async () => {
  setup = await startBusyboxContainerd();
  ({ containerd, image } = setup);
});

test.after.always(async () => {
  await setup?.stop();
});

function bundleFile(id: string, file: string): string {
  return join(containerd.state, 'io.containerd.runtime.v2.task', 'default', id, file);
}

async function waitForStatus(id: string, status: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const list = await containerd.ctrOk(['task', 'ls']);
    if (new RegExp(`^${id}\\s+\\d+\\s+${status}`, 'm').test(list)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${id} never became ${status}: ${await containerd.ctrOk(['task', 'ls'])}`);
}

test.serial('ctr run --rm attached: stdout, stderr and the exit code come back', async (t) => {
  const result = await containerd.ctr(['run', ...R, '--rm', image, unique('rm'), 'sh', '-c', 'echo hello from tsd shim; echo to-stderr >&2; exit 3']);
  t.is(result.stdout, 'hello from tsd shim\n');
  t.is(result.stderr, 'to-stderr\n');
  t.is(result.code, 3);
  t.is((await containerd.ctrOk(['containers', 'ls', '-q'])).includes(unique('rm')), false, '--rm removed the container');
});

test.serial('ctr run with stdin: input reaches the container and CloseIO ends it', async (t) => {
  const result = await containerd.ctr(['run', ...R, '--rm', image, unique('stdin'), 'sh', '-c', 'tr a-z A-Z; echo done'], { input: 'shout\n' });
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, 'SHOUT\ndone\n');
});

test.serial('detached task: task ls, exec, pause/resume, ps, metrics, kill, delete, containers rm', async (t) => {
  const id = unique('detached');
  await containerd.ctrOk(['run', ...R, '-d', image, id, 'sleep', '1000']);
  const list = await containerd.ctrOk(['task', 'ls']);
  const match = new RegExp(`^${id}\\s+(\\d+)\\s+RUNNING`, 'm').exec(list);
  t.truthy(match, list);
  const pid = Number(match![1]);
  t.regex(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^sleep\u00001000/);

  const exec = await containerd.ctr(['task', 'exec', '--exec-id', 'e1', id, 'sh', '-c', 'echo exec output; echo exec err >&2; exit 7']);
  t.is(exec.stdout, 'exec output\n');
  t.is(exec.stderr, 'exec err\n');
  t.is(exec.code, 7);

  await containerd.ctrOk(['task', 'pause', id]);
  await waitForStatus(id, 'PAUSED');
  t.is(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^State:\s+(\S)/m)?.[1], 'D', 'the frozen process is in the freezer (D)');
  await containerd.ctrOk(['task', 'resume', id]);
  await waitForStatus(id, 'RUNNING');

  t.regex(await containerd.ctrOk(['task', 'ps', id]), new RegExp(`^${pid}\\s`, 'm'));
  t.regex(await containerd.ctrOk(['task', 'metrics', id]), /pids\.current\s+1/);

  const running = await containerd.ctr(['task', 'delete', id]);
  t.not(running.code, 0, 'a running task cannot be deleted');
  await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
  await waitForStatus(id, 'STOPPED');
  // The exit status, straight from the shim over ttrpc (the address containerd was given).
  const shim = await TtrpcClient.connect(readFileSync(bundleFile(id, 'address'), 'utf8'));
  try {
    const state = await new ServiceClient(shim, shimProtos(), TASK_SERVICE).call<{ status: string; exitStatus: number; pid: number }>('State', { id });
    t.like(state, { status: 'STOPPED', exitStatus: 137, pid });
  } finally {
    shim.close();
  }
  await containerd.ctrOk(['task', 'delete', id]);
  await containerd.ctrOk(['containers', 'rm', id]);
  t.false((await containerd.ctrOk(['task', 'ls'])).includes(id));
});

test.serial('the output reader dies (kill -9 of ctr): the task keeps running and a new reader gets the rest (ctr task attach)', async (t) => {
  const id = unique('reattach');
  const first = spawn('ctr', ['--address', containerd.address, 'run', ...R, image, id, 'sh', '-c', 'i=0; while true; do echo line $i; i=$((i+1)); sleep 0.05; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let before = '';
  first.stdout.on('data', (chunk: Buffer) => (before += chunk.toString()));
  for (let i = 0; i < 200 && !before.includes('line 3\n'); i++) await new Promise((r) => setTimeout(r, 50));
  first.kill('SIGKILL');
  await new Promise((r) => first.once('close', r));
  const lastBefore = Math.max(...[...before.matchAll(/line (\d+)/g)].map((m) => Number(m[1])));
  // Nobody reads for a while: the container must neither die (EPIPE/SIGPIPE) nor stop.
  await new Promise((r) => setTimeout(r, 1000));
  t.regex(await containerd.ctrOk(['task', 'ls']), new RegExp(`^${id}\\s+\\d+\\s+RUNNING`, 'm'));
  const second = spawn('ctr', ['--address', containerd.address, 'task', 'attach', id], { stdio: ['ignore', 'pipe', 'pipe'] });
  let after = '';
  second.stdout.on('data', (chunk: Buffer) => (after += chunk.toString()));
  for (let i = 0; i < 200 && (after.match(/line \d+/g) ?? []).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
  const numbers = [...after.matchAll(/line (\d+)/g)].map((m) => Number(m[1]));
  t.true(numbers.length >= 3, `the new reader gets output: ${JSON.stringify(after)}`);
  t.true(numbers.every((n) => n > lastBefore), `only lines written after the first reader's last (${lastBefore}): ${numbers.join(',')}`);
  await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
  await new Promise((r) => second.once('close', r));
  await containerd.ctr(['task', 'delete', id]); // ctr task attach may have deleted it already
  await containerd.ctrOk(['containers', 'rm', id]);
});

test.serial('ctr run -t: the task gets a terminal, resized to ctr\'s console size', async (t) => {
  const id = unique('tty');
  // ctr -t needs a terminal of its own, of a known window size (ctr-terminal.ts).
  const ctr = `ctr --address ${containerd.address} run ${R.join(' ')} --rm -t ${image} ${id}`;
  // ctr resizes right after Start: wait until the size arrives (busybox stty fails on 0x0). The
  // task exits only after the line sent once its output is through (Debian's ctr may drop output
  // written just before the exit: see ctr-terminal.ts).
  const inner = `sh -c 'tty; while s=$(stty size 2>/dev/null); [ -z "$s" ] || [ "$s" = "0 0" ]; do sleep 0.1; done; echo "size $s"; read line; exit 5'`;
  const result = await ctrOnTerminal(`${ctr} ${inner}`, { rows: 31, cols: 97 }, /size \d+ \d+/);
  t.is(result.status, 5, result.output);
  t.regex(result.output, /\/dev\/pts\/\d+/);
  t.regex(result.output, /size 31 97/);
});

test.serial('ctr task exec -t and exec with stdin', async (t) => {
  const id = unique('exec-tty');
  await containerd.ctrOk(['run', ...R, '-d', image, id, 'sleep', '1000']);
  const ctr = `ctr --address ${containerd.address} task exec -t --exec-id t1 ${id}`;
  const inner = `sh -c 'tty; while s=$(stty size 2>/dev/null); [ -z "$s" ] || [ "$s" = "0 0" ]; do sleep 0.1; done; echo "size $s"; exit 4'`;
  const result = spawnSync('script', ['-qec', `stty rows 12 cols 34; ${ctr} ${inner}`, '/dev/null'], { input: '', encoding: 'utf8', timeout: 60_000 });
  t.is(result.status, 4, result.stdout);
  t.regex(result.stdout, /\/dev\/pts\/\d+/);
  t.regex(result.stdout, /size 12 34/);
  const piped = await containerd.ctr(['task', 'exec', '--exec-id', 's1', id, 'sh', '-c', 'wc -c'], { input: 'twelve bytes' });
  t.is(piped.stdout.trim(), '12');
  await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
  await waitForStatus(id, 'STOPPED');
  await containerd.ctrOk(['task', 'delete', id]);
  await containerd.ctrOk(['containers', 'rm', id]);
});

test.serial('Update (resources JSON, as containerd sends it) reaches the cgroup; Checkpoint is Unimplemented', async (t) => {
  const id = unique('update');
  await containerd.ctrOk(['run', ...R, '-d', image, id, 'sleep', '1000']);
  const pid = Number(readFileSync(bundleFile(id, 'init.pid'), 'utf8'));
  const shim = await TtrpcClient.connect(readFileSync(bundleFile(id, 'address'), 'utf8'));
  try {
    const task = new ServiceClient(shim, shimProtos(), TASK_SERVICE);
    const resources = { memory: { limit: 48 * 1024 * 1024 } };
    await task.call('Update', { id, resources: { typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources', value: Buffer.from(JSON.stringify(resources)) } });
    const memoryLine = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((line) => line.split(':')[1]?.split(',').includes('memory'));
    const limitFile = memoryLine
      ? join('/sys/fs/cgroup/memory', memoryLine.split(':')[2]!, 'memory.limit_in_bytes')
      : join('/sys/fs/cgroup/unified', readFileSync(`/proc/${pid}/cgroup`, 'utf8').match(/^0::(.*)$/m)![1]!, 'memory.max');
    t.is(readFileSync(limitFile, 'utf8').trim(), String(48 * 1024 * 1024));
    const error = await t.throwsAsync(task.call('Checkpoint', { id, path: '/tmp/nowhere' }));
    t.is((error as TtrpcError).grpcCode, GrpcCode.UNIMPLEMENTED);
  } finally {
    shim.close();
  }
  await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
  await waitForStatus(id, 'STOPPED');
  await containerd.ctrOk(['task', 'delete', id]);
  await containerd.ctrOk(['containers', 'rm', id]);
});

test.serial('ctr events shows the task events the shim forwards', async (t) => {
  const events = spawn('ctr', ['--address', containerd.address, 'events'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  events.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    // The subscription is live once it reports something: a probe namespace.
    for (let i = 0; i < 50 && !output.includes('/namespaces/create'); i++) {
      await containerd.ctrOk(['namespaces', 'create', `shim-events-probe-${process.pid}-${i}`]);
      await new Promise((r) => setTimeout(r, 200));
    }
    const id = unique('events');
    await containerd.ctrOk(['run', ...R, '-d', image, id, 'sleep', '1000']);
    await containerd.ctrOk(['task', 'exec', '--exec-id', 'ev1', id, 'true']);
    await containerd.ctrOk(['task', 'pause', id]);
    await containerd.ctrOk(['task', 'resume', id]);
    await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
    await waitForStatus(id, 'STOPPED');
    await containerd.ctr(['task', 'delete', id]);
    await containerd.ctrOk(['containers', 'rm', id]);
    const topics = ['/tasks/create', '/tasks/start', '/tasks/exec-added', '/tasks/exec-started', '/tasks/paused', '/tasks/resumed', '/tasks/exit', '/tasks/delete'];
    for (let i = 0; i < 100 && !topics.every((topic) => output.includes(`${topic}`)); i++) await new Promise((r) => setTimeout(r, 100));
    for (const topic of topics) t.true(output.split('\n').some((line) => line.includes(topic) && line.includes(id)), `${topic} for ${id} in:\n${output}`);
    const lines = output.split('\n').filter((line) => line.includes(id) && line.includes('/tasks/'));
    const order = ['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete'].map((topic) => lines.findIndex((line) => line.includes(topic) && (topic !== '/tasks/exit' || !line.includes('ev1'))));
    t.deepEqual([...order].sort((a, b) => a - b), order, `create, start, exit, delete in order:\n${lines.join('\n')}`);
  } finally {
    events.kill('SIGKILL');
  }
});

test.serial('a task killed by the OOM killer: exit 137 and a /tasks/oom event', async (t) => {
  const events = spawn('ctr', ['--address', containerd.address, 'events'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  events.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    for (let i = 0; i < 50 && !output.includes('/namespaces/create'); i++) {
      await containerd.ctrOk(['namespaces', 'create', `shim-oom-probe-${process.pid}-${i}`]);
      await new Promise((r) => setTimeout(r, 200));
    }
    const id = unique('oom');
    const result = await containerd.ctr(['run', ...R, '--rm', '--memory-limit', String(16 * 1024 * 1024), image, id, 'sh', '-c', 'x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done']);
    t.is(result.code, 137, result.stderr);
    for (let i = 0; i < 50 && !output.includes('/tasks/oom'); i++) await new Promise((r) => setTimeout(r, 100));
    t.true(output.split('\n').some((line) => line.includes('/tasks/oom') && line.includes(id)), output);
  } finally {
    events.kill('SIGKILL');
  }
});

test.serial('the runtime options pick the OCI runtime: Debian\'s runc runs the task (BinaryName)', async (t) => {
  const id = unique('debian-runc');
  const config = join(containerd.dir, 'runc-runtime.toml');
  writeFileSync(config, 'BinaryName = "/usr/sbin/runc"\n');
  await containerd.ctrOk(['run', ...R, '--runtime-config-path', config, '-d', image, id, 'sleep', '1000']);
  // Only runc itself reads runc's state dir format: it lists the container as running.
  const listed = spawnSync('/usr/sbin/runc', ['--root', '/run/containerd/runc/default', 'list'], { encoding: 'utf8' });
  t.regex(listed.stdout, new RegExp(`^${id}\\s+\\d+\\s+running`, 'm'));
  t.is(JSON.parse(readFileSync(bundleFile(id, 'tsd-shim.json'), 'utf8')).binary, '/usr/sbin/runc');
  const exec = await containerd.ctr(['task', 'exec', '--exec-id', 'r1', id, 'sh', '-c', 'echo via runc']);
  t.is(exec.stdout, 'via runc\n');
  await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
  await waitForStatus(id, 'STOPPED');
  await containerd.ctr(['task', 'delete', id]);
  await containerd.ctrOk(['containers', 'rm', id]);
});

test.serial('one shim process serves all tasks of a namespace and exits when the last is deleted', async (t) => {
  const ids = [unique('group-a'), unique('group-b')];
  for (const id of ids) await containerd.ctrOk(['run', ...R, '-d', image, id, 'sleep', '1000']);
  const addresses = ids.map((id) => readFileSync(bundleFile(id, 'address'), 'utf8'));
  t.is(addresses[0], addresses[1], 'both tasks were given the same shim address');
  const socket = addresses[0]!.replace('unix://', '');
  const shims = shimProcesses(socket);
  t.is(shims.length, 1, 'one shim process');
  const shimPid = shims[0]!;
  for (const id of ids) {
    await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
    await waitForStatus(id, 'STOPPED');
    await containerd.ctr(['task', 'delete', id]);
    await containerd.ctrOk(['containers', 'rm', id]);
  }
  // It leaves once idle and past the reservation its last start made (10 s).
  for (let i = 0; i < 300 && isAlive(shimPid); i++) await new Promise((r) => setTimeout(r, 100));
  t.false(isAlive(shimPid), 'the shim exited after its last task');
});

/** Shim server processes serving this socket. */
function shimProcesses(socket: string): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv.some((arg) => arg.endsWith('shim.mjs')) && argv.includes(socket);
    } catch {
      return false;
    }
  }).map(Number);
}

test.serial('orphans that reach the shim (a task in the host pid namespace) are reaped, the task\'s own exit still reported', async (t) => {
  const id = unique('orphans');
  // The subshell exits at once, so each `sleep 2` is orphaned: with no pid namespace of its
  // own it is re-parented to the nearest subreaper, the shim, which must reap it.
  const script = 'for i in 1 2 3 4 5; do (sleep 2 &); done; sleep 1000';
  await containerd.ctrOk(['run', ...R, '--with-ns', `pid:/proc/${process.pid}/ns/pid`, '-d', image, id, 'sh', '-c', script]);
  const pid = Number(readFileSync(bundleFile(id, 'init.pid'), 'utf8'));
  const shimPid = shimProcesses(readFileSync(bundleFile(id, 'address'), 'utf8').replace('unix://', ''))[0]!;
  const children = (): Array<{ pid: number; state: string; command: string }> => readdirSync('/proc').filter((name) => /^\d+$/.test(name)).flatMap((name) => {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[1]) === shimPid ? [{ pid: Number(name), state: fields[0]!, command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) }] : [];
    } catch {
      return [];
    }
  });
  const orphans = (): number => children().filter((child) => child.command === 'sleep' && child.pid !== pid).length;
  for (let i = 0; i < 100 && orphans() < 5; i++) await new Promise((r) => setTimeout(r, 50));
  t.is(orphans(), 5, 'the orphans were re-parented to the shim');
  for (let i = 0; i < 200 && orphans() > 0; i++) await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(children().filter((child) => child.state === 'Z'), [], 'no zombies under the shim');
  await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
  await waitForStatus(id, 'STOPPED');
  await containerd.ctrOk(['task', 'delete', id]);
  await containerd.ctrOk(['containers', 'rm', id]);
});

test.serial('the group annotation io.containerd.tsd.v2.group=container gives a task its own shim', async (t) => {
  const ids = [unique('own-a'), unique('own-b')];
  for (const id of ids) await containerd.ctrOk(['run', ...R, '--annotation', 'io.containerd.tsd.v2.group=container', '-d', image, id, 'sleep', '1000']);
  const addresses = ids.map((id) => readFileSync(bundleFile(id, 'address'), 'utf8'));
  t.not(addresses[0], addresses[1]);
  for (const address of addresses) t.is(shimProcesses(address.replace('unix://', '')).length, 1);
  for (const id of ids) {
    await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
    await waitForStatus(id, 'STOPPED');
    await containerd.ctrOk(['task', 'delete', id]);
    await containerd.ctrOk(['containers', 'rm', id]);
  }
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
