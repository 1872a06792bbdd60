// The engine event log through GET /events: history with since/until, live streaming, filters,
// and a client that disconnects mid-stream (the engine keeps serving).
import test from 'ava';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { startHostEngine, type HostEngine } from '../helpers/host-engine.js';

let fixtures: FixtureRegistry;
let engine: HostEngine;

test.before(async () => {
  fixtures = await startFixtureRegistry({ nginx: false });
  engine = await startHostEngine({ daemonJson: { 'registry-mirrors': [`http://${fixtures.host}`], 'docker-hub-origin': false } });
  await engine.dockerOk('pull', 'busybox');
});

test.after.always(async () => {
  await engine?.stop();
  await fixtures?.stop();
});

interface Event {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano: number;
  scope: string;
}

test.serial('docker events --since/--until replays image events with Docker\'s shape', async (t) => {
  const start = Math.floor(Date.now() / 1000) - 1;
  await engine.dockerOk('tag', 'busybox', 'events/one:1');
  await engine.dockerOk('rmi', 'events/one:1');
  const end = Math.floor(Date.now() / 1000) + 1;
  const out = await engine.dockerOk('events', '--since', String(start), '--until', String(end), '--format', '{{json .}}');
  const events = out.trim().split('\n').map((line) => JSON.parse(line) as Event);
  const actions = events.map((e) => `${e.Type}:${e.Action}:${e.Actor.Attributes.name}`);
  t.deepEqual(actions.filter((a) => a.includes('events/one')), ['image:tag:events/one:1', 'image:untag:events/one:1']);
  const tag = events.find((e) => e.Action === 'tag')!;
  t.regex(tag.Actor.ID, /^sha256:[0-9a-f]{64}$/);
  t.is(tag.scope, 'local');
  t.is(tag.time, Math.floor(tag.timeNano / 1e9));
  // The pull from before() is in the history too, named as the user wrote it.
  const all = await engine.dockerOk('events', '--since', '0', '--until', String(end), '--filter', 'event=pull', '--format', '{{.Actor.ID}}');
  t.is(all.trim(), 'busybox:latest');
});

test.serial('filters select by type, event and image name', async (t) => {
  const end = String(Math.floor(Date.now() / 1000) + 1);
  const byImage = await engine.dockerOk('events', '--since', '0', '--until', end, '--filter', 'image=events/one:1', '--format', '{{.Action}}');
  t.deepEqual(byImage.trim().split('\n'), ['tag', 'untag']);
  const containers = await engine.dockerOk('events', '--since', '0', '--until', end, '--filter', 'type=container');
  t.is(containers.trim(), '');
  const bad = await engine.api('GET', `/events?filters=${encodeURIComponent('{"colour":["red"]}')}`);
  t.is(bad.status, 400);
  t.deepEqual(bad.json(), { message: "invalid filter 'colour'" });
  const badSince = await engine.api('GET', '/events?since=yesterday');
  t.is(badSince.status, 400);
});

test.serial('docker events streams live events until the client goes away', async (t) => {
  const child = spawn('/usr/local/bin/docker', ['events', '--filter', 'event=tag', '--format', '{{.Actor.Attributes.name}}'], {
    env: { ...process.env, DOCKER_HOST: engine.host },
  });
  let out = '';
  const seen = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('events/live:1')) resolve();
  }));
  // Tag until the subscription is live (the CLI connects asynchronously); bounded attempts.
  for (let i = 0; i < 50 && !out.includes('events/live:1'); i++) {
    await engine.dockerOk('tag', 'busybox', 'events/live:1');
    await Promise.race([seen, new Promise((r) => setTimeout(r, 200))]);
  }
  t.regex(out, /events\/live:1/);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid!, 'SIGKILL');
  await exited;
  t.is((await engine.api('GET', '/_ping')).text, 'OK');
});

test.serial('a raw client dropping the /events connection mid-stream leaves the engine serving', async (t) => {
  await new Promise<void>((resolve, reject) => {
    const req = request({ socketPath: engine.socketPath, path: '/events?since=0', method: 'GET' }, (res) => {
      t.is(res.statusCode, 200);
      t.is(res.headers['content-type'], 'application/json');
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    req.end();
  });
  await engine.dockerOk('tag', 'busybox', 'events/after-drop:1');
  t.is((await engine.api('GET', '/_ping')).text, 'OK');
  const info = JSON.parse(await engine.dockerOk('info', '--format', '{{json .}}')) as { NEventsListener: number };
  t.is(info.NEventsListener, 0);
});
