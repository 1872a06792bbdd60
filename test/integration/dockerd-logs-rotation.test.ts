// json-file rotation (max-size, max-file, compress) with the real docker CLI against our dockerd
// (host mode): the files on disk (names, count, sizes against max-size, gzip members with
// Docker's lastTime header), `docker logs` reading them in order (all, --tail, --since/--until),
// -f following across rotations, daemon.json log-opts merged into new containers, and Docker's
// errors for bad values.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { DOCKER_CLI, stackFromEnv, startHostEngine, type HostEngine } from '../helpers/host-engine.js';

let fixtures: FixtureRegistry;
let engine: HostEngine;

// The engine's defaults, as in a daemon.json: every container below gets them unless it sets its own.
const DAEMON_LOG_OPTS = { 'max-size': '2k', 'max-file': '3' };

test.before(async () => {
  fixtures = await startFixtureRegistry({ nginx: false });
  engine = await startHostEngine({ registry: fixtures.host, stack: stackFromEnv(), daemonJson: { 'log-opts': DAEMON_LOG_OPTS } });
  await engine.dockerOk('pull', 'busybox');
});

test.after.always(async () => {
  await engine?.stop();
  await fixtures?.stop();
});

/** Runs a container to its end (detached, then waited for); returns its id. */
async function runToEnd(name: string, ...args: string[]): Promise<string> {
  const id = (await engine.dockerOk('run', '-d', '--name', name, ...args)).trim();
  const status = await engine.dockerOk('wait', name);
  if (status.trim() !== '0') throw new Error(`${name} exited with ${status}`);
  return id;
}

/** The log files of a container, by name, with their sizes. */
async function logFiles(id: string): Promise<Map<string, number>> {
  const dir = join(engine.dataRoot, 'containers', id);
  const files = new Map<string, number>();
  for (const name of (await readdir(dir)).filter((n) => n.startsWith(`${id}-json.log`)).sort()) files.set(name.slice(id.length), (await stat(join(dir, name))).size);
  return files;
}

function jsonLines(text: string): Array<{ log: string; time: string }> {
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { log: string; time: string });
}

/** Checks Docker's rotation rule on one rotated file: it reached max-size, and was below it before its last entry. */
function assertRotatedSize(t: import('ava').ExecutionContext, content: Buffer, maxSize: number, name: string): void {
  const lastEntry = content.subarray(content.lastIndexOf('\n', content.length - 2) + 1);
  t.true(content.length >= maxSize, `${name} (${content.length} bytes) was rotated before it reached ${maxSize}`);
  t.true(content.length - lastEntry.length < maxSize, `${name} (${content.length} bytes) got an entry after it reached ${maxSize}`);
}

/** `docker logs` output as numbers; checks they are consecutive and end at `last`. */
function consecutiveUpTo(t: import('ava').ExecutionContext, output: string, last: number): number[] {
  const numbers = output.trim().split('\n').map(Number);
  t.is(numbers.at(-1), last);
  numbers.forEach((n, i) => i > 0 && t.is(n, numbers[i - 1]! + 1, `line ${i} of the output`));
  return numbers;
}

test.serial('daemon.json log-opts: a new container gets them, and its log rotates at max-size keeping max-file files', async (t) => {
  const id = await runToEnd('rot-default', 'busybox', 'seq', '1', '200');
  t.deepEqual(JSON.parse(await engine.dockerOk('inspect', '--format', '{{json .HostConfig.LogConfig}}', 'rot-default')), { Type: 'json-file', Config: DAEMON_LOG_OPTS });
  const files = await logFiles(id);
  t.deepEqual([...files.keys()], ['-json.log', '-json.log.1', '-json.log.2'], 'max-file 3: the current file and two rotated ones');
  const dir = join(engine.dataRoot, 'containers', id);
  const rotated = [await readFile(join(dir, `${id}-json.log.2`)), await readFile(join(dir, `${id}-json.log.1`))];
  rotated.forEach((content, i) => assertRotatedSize(t, content, 2000, `.${2 - i}`));
  const current = await readFile(join(dir, `${id}-json.log`));
  const onDisk = [...rotated, current].flatMap((content) => jsonLines(content.toString()).map((entry) => Number(entry.log)));
  // Oldest first on disk, as the logs read them: .2, .1, the current file.
  t.deepEqual(onDisk, consecutiveUpTo(t, onDisk.join('\n'), 200));
  t.true(onDisk[0]! > 1, 'the oldest lines were dropped with the oldest file');

  const all = await engine.dockerOk('logs', 'rot-default');
  t.deepEqual(consecutiveUpTo(t, all, 200), onDisk);
  // --tail across files: the current file alone holds fewer than 50 lines.
  t.true(jsonLines(current.toString()).length < 50);
  t.deepEqual(consecutiveUpTo(t, await engine.dockerOk('logs', '--tail', '50', 'rot-default'), 200), onDisk.slice(-50));
  // --since / --until by the stored times: the 10th line shown splits the output there.
  const stamped = (await engine.dockerOk('logs', '-t', 'rot-default')).trim().split('\n');
  const tenth = stamped[9]!.split(' ')[0]!;
  t.deepEqual((await engine.dockerOk('logs', '--since', tenth, 'rot-default')).trim().split('\n').map(Number), onDisk.slice(9));
  t.deepEqual((await engine.dockerOk('logs', '--until', tenth, 'rot-default')).trim().split('\n').map(Number), onDisk.slice(0, 10));
});

test.serial('compress=true: rotated files are gzip members (.N.gz) with Docker\'s lastTime header, read back in order', async (t) => {
  const id = await runToEnd('rot-gzip', '--log-opt', 'max-file=4', '--log-opt', 'compress=true', 'busybox', 'seq', '1', '200');
  const files = await logFiles(id);
  t.deepEqual([...files.keys()], ['-json.log', '-json.log.1.gz', '-json.log.2.gz', '-json.log.3.gz']);
  const dir = join(engine.dataRoot, 'containers', id);
  const numbers: number[] = [];
  for (const n of [3, 2, 1]) {
    const gz = await readFile(join(dir, `${id}-json.log.${n}.gz`));
    t.deepEqual([...gz.subarray(0, 4)], [0x1f, 0x8b, 8, 0x04], 'a deflate member with an extra field');
    const extra = JSON.parse(gz.subarray(12, 12 + gz.readUInt16LE(10)).toString()) as { lastTime: string };
    const content = gunzipSync(gz);
    assertRotatedSize(t, content, 2000, `.${n}.gz`);
    const entries = jsonLines(content.toString());
    // Go's RFC 3339 nanos drops trailing zeros; the stored time keeps them.
    t.is(Date.parse(extra.lastTime), Date.parse(entries.at(-1)!.time));
    t.is(extra.lastTime.replace(/\.(\d+)Z$/, (_, d: string) => `.${d.padEnd(9, '0')}Z`), entries.at(-1)!.time);
    numbers.push(...entries.map((entry) => Number(entry.log)));
  }
  numbers.push(...jsonLines(await readFile(join(dir, `${id}-json.log`), 'utf8')).map((entry) => Number(entry.log)));
  t.deepEqual(consecutiveUpTo(t, await engine.dockerOk('logs', 'rot-gzip'), 200), numbers);
  // --tail reaching back into the compressed files (a file holds fewer than 40 entries).
  t.deepEqual(consecutiveUpTo(t, await engine.dockerOk('logs', '--tail', '40', 'rot-gzip'), 200), numbers.slice(-40));
});

test.serial('max-file=1: the file is replaced at max-size, nothing rotated is kept; the container\'s options win over the daemon\'s', async (t) => {
  const id = await runToEnd('rot-one', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=1', 'busybox', 'seq', '1', '200');
  t.deepEqual(JSON.parse(await engine.dockerOk('inspect', '--format', '{{json .HostConfig.LogConfig.Config}}', 'rot-one')), { 'max-size': '1k', 'max-file': '1' });
  const files = await logFiles(id);
  t.deepEqual([...files.keys()], ['-json.log']);
  const shown = consecutiveUpTo(t, await engine.dockerOk('logs', 'rot-one'), 200);
  const onDisk = jsonLines(await readFile(join(engine.dataRoot, 'containers', id, `${id}-json.log`), 'utf8'));
  t.is(shown.length, onDisk.length);
  t.true(files.get('-json.log')! < 1000 + Buffer.byteLength(JSON.stringify(onDisk.at(-1)!)) + 1);
});

test.serial('-f follows the log across rotations: every line once, in order, until the container ends', async (t) => {
  const id = (await engine.dockerOk('run', '-d', '--name', 'rot-follow', '--log-opt', 'max-file=50', 'busybox', 'sh', '-c',
    'echo ready; while [ ! -e /tmp/go ]; do sleep 0.1; done; seq 1 400')).trim();
  const follower = spawn(DOCKER_CLI, ['logs', '-f', 'rot-follow'], { env: { ...process.env, DOCKER_HOST: engine.host }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ended = new Promise<number | null>((resolve) => follower.on('close', resolve));
  await new Promise<void>((resolve) => follower.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.startsWith('ready\n')) resolve();
  }));
  // The follower is reading the log: the lines written from now on reach it only by following.
  await engine.dockerOk('exec', 'rot-follow', 'touch', '/tmp/go');
  t.is(await ended, 0);
  t.is(output, `ready\n${Array.from({ length: 400 }, (_, i) => i + 1).join('\n')}\n`);
  t.true((await logFiles(id)).size > 5, 'the log was rotated several times while followed');
});

test.serial('docker logs of a running container that keeps rotating: each read is gap-free and in order', async (t) => {
  const id = (await engine.dockerOk('run', '-d', '--name', 'rot-busy', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=5', 'busybox', 'sh', '-c',
    'i=0; while true; do i=$((i+1)); echo $i; usleep 2000; done')).trim();
  // Reads start once all five files exist: from then on every rotation drops a file under them.
  for (let i = 0; i < 600 && !(await logFiles(id)).has('-json.log.4'); i++) await new Promise((r) => setTimeout(r, 100));
  t.true((await logFiles(id)).has('-json.log.4'));
  let last = 0;
  for (let read = 0; read < 8; read++) {
    const numbers = (await engine.dockerOk('logs', 'rot-busy')).trim().split('\n').filter(Boolean).map(Number);
    numbers.forEach((n, i) => i > 0 && t.is(n, numbers[i - 1]! + 1, `read ${read}, line ${i}`));
    t.true(numbers.at(-1)! >= last, 'each read ends at or after the previous one');
    last = numbers.at(-1)!;
  }
  await engine.dockerOk('rm', '-f', 'rot-busy');
});

test.serial('bad values fail the start with dockerd\'s messages; an unknown option fails the create', async (t) => {
  const cases: Array<[string[], string]> = [
    [['max-size=abc'], "failed to initialize logging driver: invalid size: 'abc'"],
    [['max-size=0'], 'failed to initialize logging driver: max-size must be a positive number'],
    [['max-file=0'], 'failed to initialize logging driver: max-file cannot be less than 1'],
    [['max-file=two'], 'failed to initialize logging driver: strconv.Atoi: parsing "two": invalid syntax'],
    [['compress=maybe'], 'failed to initialize logging driver: strconv.ParseBool: parsing "maybe": invalid syntax'],
    [['compress=true', 'max-file=1'], 'failed to initialize logging driver: compress cannot be true when max-file is less than 2 or max-size is not set'],
  ];
  for (const [i, [options, message]] of cases.entries()) {
    const name = `rot-bad-${i}`;
    const result = await engine.docker('run', '--name', name, ...options.flatMap((o) => ['--log-opt', o]), 'busybox', 'true');
    t.is(result.code, 125, options.join(' '));
    t.true(result.stderr.includes(`failed to create task for container: ${message}`), result.stderr);
    t.is((await engine.dockerOk('inspect', '--format', '{{.State.Status}}', name)).trim(), 'created');
  }
  const unknown = await engine.docker('create', '--log-opt', 'max-sise=1k', 'busybox', 'true');
  t.not(unknown.code, 0);
  t.true(unknown.stderr.includes("unknown log opt 'max-sise' for json-file log driver"), unknown.stderr);
});

test.serial('a container without a log (--log-driver none) has no file; docker logs refuses', async (t) => {
  const id = await runToEnd('rot-none', '--log-driver', 'none', 'busybox', 'seq', '1', '10');
  t.false(existsSync(join(engine.dataRoot, 'containers', id, `${id}-json.log`)));
  const result = await engine.docker('logs', 'rot-none');
  t.not(result.code, 0);
  t.true(result.stderr.includes('configured logging driver does not support reading'), result.stderr);
});
