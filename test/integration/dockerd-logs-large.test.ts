// docker logs of a large json-file log with the real docker CLI against our dockerd (host mode, the
// guest's Node): 100 MiB read back byte for byte, --tail from the end without reading it all, the
// engine's memory bounded while it serves (and while a client stops reading), stdout/stderr split,
// --since/--until, -f following new lines, attach's logs=1 replay, and a client killed mid-stream
// leaving the engine serving.
import test from 'ava';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { DOCKER_CLI, stackFromEnv, startHostEngine, type HostEngine } from '../helpers/host-engine.js';

let fixtures: FixtureRegistry;
let engine: HostEngine;

const SIZE = 100 * 1024 * 1024;
// 80-byte lines, as the benchmark writes them; 100 MiB is 1,310,720 of them.
const LINE = `${'0123456789'.repeat(7)}abcdefghi\n`;
const BIG = 'tsdlogs-big';
/** Loose: the log is ~165 MiB of json; reading it whole used to cost several times that. */
const RSS_SLACK_KIB = 64 * 1024;

test.before(async () => {
  fixtures = await startFixtureRegistry({ nginx: false });
  engine = await startHostEngine({ registry: fixtures.host, stack: stackFromEnv() });
  await engine.dockerOk('pull', 'busybox');
  await engine.dockerOk('run', '-d', '--name', BIG, 'busybox', 'sh', '-c', `yes ${LINE.trimEnd()} | head -c ${SIZE}`);
  const status = await engine.dockerWith({ timeoutMs: 600_000 }, 'wait', BIG);
  if (status.stdout.trim() !== '0') throw new Error(`the writer exited with ${status.stdout} ${status.stderr}`);
});

test.after.always(async () => {
  await engine?.stop();
  await fixtures?.stop();
});

async function dockerdRssKib(): Promise<number> {
  const status = await readFile(`/proc/${await engine.pid('dockerd')}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]);
}

/** Samples dockerd's RSS every 100 ms while `during` runs; returns the largest. */
async function peakRss<T>(during: () => Promise<T>): Promise<{ result: T; peakKib: number }> {
  let peakKib = await dockerdRssKib();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakKib = Math.max(peakKib, await dockerdRssKib());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    return { result: await during(), peakKib };
  } finally {
    sampling = false;
    await sampler;
    peakKib = Math.max(peakKib, await dockerdRssKib());
  }
}

interface Streamed {
  code: number | null;
  bytes: number;
  sha256: string;
  stderr: string;
}

/** Runs the docker CLI, hashing its stdout as it comes (100 MiB never sits in this process). */
function dockerStreamed(...args: string[]): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER_CLI, args, { env: { ...process.env, DOCKER_HOST: engine.host }, stdio: ['ignore', 'pipe', 'pipe'] });
    const hash = createHash('sha256');
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, bytes, sha256: hash.digest('hex'), stderr }));
  });
}

function expectedDigest(): string {
  const hash = createHash('sha256');
  const block = Buffer.from(LINE.repeat(1024));
  for (let done = 0; done < SIZE; done += block.length) hash.update(block.subarray(0, Math.min(block.length, SIZE - done)));
  return hash.digest('hex');
}

test.serial('docker logs of 100 MiB: every byte, in order, with dockerd\'s memory bounded', async (t) => {
  const before = await dockerdRssKib();
  const { result, peakKib } = await peakRss(() => dockerStreamed('logs', BIG));
  t.is(result.code, 0, result.stderr);
  t.is(result.stderr, '');
  t.is(result.bytes, SIZE);
  t.is(result.sha256, expectedDigest());
  t.log(`dockerd RSS ${before} KiB before, ${peakKib} KiB at most while serving`);
  t.true(peakKib - before < RSS_SLACK_KIB, `dockerd RSS ${before} KiB before, ${peakKib} KiB at most while serving`);
});

test.serial('--tail 5 of the 100 MiB log: the last five lines, read from the end', async (t) => {
  const before = await dockerdRssKib();
  const { result, peakKib } = await peakRss(() => engine.docker('logs', '--tail', '5', BIG));
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, LINE.repeat(5));
  t.log(`dockerd RSS ${before} KiB before, ${peakKib} KiB at most`);
  t.true(peakKib - before < RSS_SLACK_KIB, `dockerd RSS ${before} KiB before, ${peakKib} KiB at most`);
  const stamped = await engine.dockerOk('logs', '--tail', '2', '-t', BIG);
  t.regex(stamped, new RegExp(`^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z ${LINE.trimEnd()}\\n){2}$`));
  t.is(await engine.dockerOk('logs', '--tail', '0', BIG), '');
});

test.serial('a client that stops reading, then is killed: memory stays bounded and the engine keeps serving', async (t) => {
  const before = await dockerdRssKib();
  const child = spawn(DOCKER_CLI, ['logs', BIG], { env: { ...process.env, DOCKER_HOST: engine.host }, stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise((resolve) => child.once('close', resolve));
  // Read a little, then stop reading: the pipe, the CLI and the socket fill up and dockerd must wait.
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.pause();
  const { peakKib } = await peakRss(() => new Promise((resolve) => setTimeout(resolve, 2000)));
  t.log(`dockerd RSS ${before} KiB before, ${peakKib} KiB at most while the client stalled`);
  t.true(peakKib - before < RSS_SLACK_KIB, `dockerd RSS ${before} KiB before, ${peakKib} KiB at most while the client stalled`);
  child.kill('SIGKILL');
  await exited;
  t.is(await engine.dockerOk('logs', '--tail', '1', BIG), LINE);
  t.regex(await engine.dockerOk('ps', '-a', '--filter', `name=${BIG}`, '--format', '{{.Names}}'), new RegExp(BIG));
});

test.serial('attach with logs=1 replays the 100 MiB log as stdcopy frames', async (t) => {
  const id = (await engine.dockerOk('inspect', '-f', '{{.Id}}', BIG)).trim();
  const result = await new Promise<{ payload: number; frames: number; leftover: number }>((resolve, reject) => {
    const req = request({ socketPath: engine.socketPath, method: 'POST', path: `/v1.47/containers/${id}/attach?logs=1&stdout=1&stderr=1` }, (res) => {
      let pending: Buffer = Buffer.alloc(0);
      let payload = 0;
      let frames = 0;
      res.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        let at = 0;
        while (pending.length - at >= 8 && pending.length - at >= 8 + pending.readUInt32BE(at + 4)) {
          if (pending[at] !== 1) return reject(new Error(`frame of stream ${pending[at]}`));
          payload += pending.readUInt32BE(at + 4);
          frames++;
          at += 8 + pending.readUInt32BE(at + 4);
        }
        pending = pending.subarray(at);
      });
      res.on('end', () => resolve({ payload, frames, leftover: pending.length }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  t.is(result.payload, SIZE);
  t.is(result.frames, SIZE / LINE.length);
  t.is(result.leftover, 0);
});

test.serial('stdout and stderr apart; --tail counts lines of both; --since/--until by the stored times', async (t) => {
  const name = 'tsdlogs-split';
  await engine.dockerOk('run', '--name', name, 'busybox', 'sh', '-c', 'echo o1; sleep 0.1; echo e1 >&2; sleep 0.1; echo o2; sleep 0.1; echo e2 >&2');
  const all = await engine.docker('logs', name);
  t.is(all.stdout, 'o1\no2\n');
  t.is(all.stderr, 'e1\ne2\n');
  const last = await engine.docker('logs', '--tail', '1', name);
  t.is(last.stdout, '');
  t.is(last.stderr, 'e2\n');
  const onlyErr = await engine.api('GET', `/containers/${name}/logs?stderr=1`);
  t.is(onlyErr.status, 200);
  t.deepEqual([...onlyErr.body], [...frameBytes(2, 'e1\n'), ...frameBytes(2, 'e2\n')]);

  const stamped = await engine.docker('logs', '-t', name);
  const times = Object.fromEntries(`${stamped.stdout}${stamped.stderr}`.trim().split('\n').map((line) => [line.split(' ')[1]!, line.split(' ')[0]!]));
  const since = await engine.docker('logs', '--since', times.e1!, name);
  t.is(since.stdout, 'o2\n');
  t.is(since.stderr, 'e1\ne2\n');
  const until = await engine.docker('logs', '--until', times.o2!, name);
  t.is(until.stdout, 'o1\no2\n');
  t.is(until.stderr, 'e1\n');
  const between = await engine.docker('logs', '--since', times.e1!, '--until', times.o2!, name);
  t.is(`${between.stdout}|${between.stderr}`, 'o2\n|e1\n');
});

test.serial('-f prints lines written after it started and ends with the container; a tty log is raw', async (t) => {
  const name = 'tsdlogs-follow';
  await engine.dockerOk('run', '-d', '--name', name, 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do echo n$i; sleep 0.3; done');
  const followed = await engine.docker('logs', '-f', name);
  t.is(followed.code, 0, followed.stderr);
  t.is(followed.stdout, 'n1\nn2\nn3\nn4\nn5\nn6\nn7\nn8\n');
  const tailFollow = await engine.docker('logs', '-f', '--tail', '2', name);
  t.is(tailFollow.stdout, 'n7\nn8\n');

  await engine.dockerOk('run', '-t', '--name', 'tsdlogs-tty', 'busybox', 'echo', 'hi');
  const raw = await engine.api('GET', '/containers/tsdlogs-tty/logs?stdout=1');
  t.is(raw.text, 'hi\r\n');
});

test.serial('-f --tail 0 of a running container gets only new lines, and a killed follower leaves the engine serving', async (t) => {
  const name = 'tsdlogs-live';
  await engine.dockerOk('run', '-d', '--name', name, 'busybox', 'sh', '-c', 'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.2; done');
  const already = (await engine.dockerOk('logs', name)).split('\n').length - 1;
  const child = spawn(DOCKER_CLI, ['logs', '-f', '--tail', '0', name], { env: { ...process.env, DOCKER_HOST: engine.host }, stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise((resolve) => child.once('close', resolve));
  let seen = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.split('\n').length > 3) resolve();
    });
  });
  child.kill('SIGKILL');
  await exited;
  const lines = seen.trim().split('\n');
  const first = Number(lines[0]!.replace('tick', ''));
  t.true(first >= already, `--tail 0 -f began at tick${first}, ${already} lines were there before`);
  t.deepEqual(lines.slice(0, 3), [`tick${first}`, `tick${first + 1}`, `tick${first + 2}`]);
  t.regex(await engine.dockerOk('logs', '--tail', '1', name), /^tick\d+\n$/);
  await engine.dockerOk('rm', '-f', name);
});

function frameBytes(stream: number, text: string): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(Buffer.byteLength(text), 4);
  return Buffer.concat([header, Buffer.from(text)]);
}
