// `docker logs -f --until` with the real docker CLI against our dockerd (host mode), as Docker's
// json-file reader does it: the read ends at the first entry logged after `until`. Until in the
// past: the entries up to it, then the CLI exits at once although the container runs on. Until in
// the future: it follows new lines and exits when the first line after `until` is logged. Until
// past but nothing newer logged yet: it waits for that next line (which it does not print).
import test from 'ava';
import { spawn } from 'node:child_process';
import { startBusyboxEngine, type BusyboxEngine } from '../helpers/busybox-engine.js';
import { DOCKER_CLI, type HostEngine } from '../helpers/host-engine.js';

let setup: BusyboxEngine;
let engine: HostEngine;

test.before(async () => {
  setup = await startBusyboxEngine();
  engine = setup.engine;
});

test.after.always(async () => {
  await setup?.stop();
});

const TICKER = 'i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.2; done';

/** `docker logs -t` as [time, text] pairs. */
async function stamped(name: string): Promise<Array<[string, string]>> {
  return (await engine.dockerOk('logs', '-t', name)).trim().split('\n').filter(Boolean).map((line) => {
    const at = line.indexOf(' ');
    return [line.slice(0, at), line.slice(at + 1)];
  });
}

/** Polls (100 ms apart, up to 60 s) until the container has logged `count` lines. */
async function waitForLines(name: string, count: number): Promise<void> {
  for (let i = 0; i < 600 && (await stamped(name)).length < count; i++) await new Promise((r) => setTimeout(r, 100));
}

function nanos(time: string): bigint {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(time)!;
  return BigInt(Date.parse(`${match[1]}Z`)) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

function dockerChild(...args: string[]): { child: ReturnType<typeof spawn>; output: () => string; done: Promise<number | null> } {
  const child = spawn(DOCKER_CLI, args, { env: { ...process.env, DOCKER_HOST: engine.host }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output, done: new Promise((resolve) => child.on('close', resolve)) };
}

test.serial('until in the past: -f prints the lines up to it and exits while the container keeps logging', async (t) => {
  await engine.dockerOk('run', '-d', '--name', 'until-past', 'busybox', 'sh', '-c', TICKER);
  await waitForLines('until-past', 5);
  const third = (await stamped('until-past'))[2]![0];
  const result = await engine.docker('logs', '-f', '--until', third, 'until-past');
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, 'tick1\ntick2\ntick3\n');
  t.is((await engine.dockerOk('inspect', '--format', '{{.State.Running}}', 'until-past')).trim(), 'true');
  await engine.dockerOk('rm', '-f', 'until-past');
});

test.serial('until in the future: -f follows new lines and exits at the first line logged after it', async (t) => {
  await engine.dockerOk('run', '-d', '--name', 'until-future', 'busybox', 'sh', '-c', TICKER);
  await waitForLines('until-future', 2);
  const before = (await stamped('until-future')).length;
  const until = new Date(Date.now() + 2000).toISOString();
  const follower = dockerChild('logs', '-f', '-t', '--until', until, 'until-future');
  t.is(await follower.done, 0);
  t.is((await engine.dockerOk('inspect', '--format', '{{.State.Running}}', 'until-future')).trim(), 'true');
  const shown = follower.output().trim().split('\n').map((line) => line.split(' ') as [string, string]);
  t.true(shown.every(([time]) => nanos(time) <= nanos(until)), 'nothing after until is shown');
  t.true(shown.length > before, 'lines logged after the follow began were shown');
  // It stopped exactly before the first line after until: that line is in the log now.
  const all = await stamped('until-future');
  t.deepEqual(all.slice(0, shown.length), shown);
  t.true(nanos(all[shown.length]![0]) > nanos(until));
  await engine.dockerOk('rm', '-f', 'until-future');
});

test.serial('until past with nothing newer logged yet: -f waits, and the next line (after until) ends it unprinted', async (t) => {
  await engine.dockerOk('run', '-d', '--name', 'until-wait', 'busybox', 'sh', '-c',
    'echo one; echo two; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo late; sleep 300');
  await waitForLines('until-wait', 2);
  const until = (await stamped('until-wait'))[1]![0];
  const follower = dockerChild('logs', '-f', '--until', until, 'until-wait');
  // Read the log as far as it goes; it is still following (Docker's reader waits for the next entry).
  for (let i = 0; i < 600 && follower.output() !== 'one\ntwo\n'; i++) await new Promise((r) => setTimeout(r, 100));
  t.is(follower.output(), 'one\ntwo\n');
  t.is(follower.child.exitCode, null, 'still following');
  await engine.dockerOk('exec', 'until-wait', 'touch', '/tmp/go');
  t.is(await follower.done, 0);
  t.is(follower.output(), 'one\ntwo\n');
  t.is((await engine.dockerOk('logs', 'until-wait')), 'one\ntwo\nlate\n');
  await engine.dockerOk('rm', '-f', 'until-wait');
});
