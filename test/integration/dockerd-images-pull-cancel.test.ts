// A pull whose clients all go away is cancelled, as in dockerd: the registry fetch is cut, the
// partial blob and the pull's lease are gone, no image is named. A second client pulling the same
// image joins the running pull; when only one of the two leaves, the download goes on for the
// other. The layer blob's response is held mid-stream by a gate in front of the registry, so
// "mid-stream" is a state the test controls, not a race.
import test from 'ava';
import { spawn } from 'node:child_process';
import { request, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { FIXTURE_REPOSITORIES, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { startGateProxy, type GateProxy } from '../helpers/gate-proxy.js';
import { DOCKER_CLI, type HostEngine } from '../helpers/host-engine.js';
import { startImageEngine, type ImageEngine } from '../helpers/image-engine.js';

let setup: ImageEngine;
let gate: GateProxy;
let engine: HostEngine;
let layer: string;

test.before(async () => {
  setup = await startImageEngine({ mirror: startGate });
  engine = setup.engine;
});

test.after.always(async () => {
  await setup?.stop();
  await gate?.stop();
});

/** The gate in front of the registry, holding the busybox layer's response mid-stream. */
async function startGate(fixtures: FixtureRegistry): Promise<string> {
  const manifest = (await (await fetch(`http://${fixtures.host}/v2/${FIXTURE_REPOSITORIES.busybox}/manifests/latest`, {
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  })).json()) as { layers: Array<{ digest: string; size: number }> };
  layer = manifest.layers[0]!.digest;
  // 600 KiB out, then hold: past the engine's first "Downloading" progress step (512 KiB).
  gate = await startGateProxy(fixtures.host, (req) => req.method === 'GET' && (req.url ?? '').endsWith(`/blobs/${layer}`), 600 * 1024);
  return gate.host;
}

const ctr = (...args: string[]): Promise<string> => setup.ctr(...args);

/** Polls `check` (bounded: 30 s) until it holds. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never happened: ${what}\n${engine.log().slice(-2000)}`);
}

interface RawPull {
  req: ClientRequest;
  body(): string;
  /** Resolves once the body contains `pattern`. */
  waitFor(pattern: RegExp): Promise<void>;
  ended: Promise<void>;
}

function startPull(): RawPull {
  let text = '';
  const waiters: Array<() => void> = [];
  let ended!: Promise<void>;
  const req = request({ socketPath: engine.socketPath, method: 'POST', path: '/v1.51/images/create?fromImage=busybox&tag=latest' }, (res) => {
    res.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      for (const wake of waiters.splice(0)) wake();
    });
  });
  ended = new Promise<void>((resolve) => req.on('close', resolve));
  req.on('error', () => undefined);
  req.end();
  return {
    req,
    body: () => text,
    async waitFor(pattern) {
      while (!pattern.test(text)) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    ended,
  };
}

async function nothingLeft(t: { is: (a: unknown, b: unknown, m?: string) => void; false: (a: boolean, m?: string) => void }): Promise<void> {
  await eventually('the pull lease is deleted', async () => (await ctr('leases', 'ls', '-q')).trim() === '');
  t.is((await ctr('content', 'active')).split('\n').filter((line) => line.includes(layer.slice(7))).length, 0, 'no partial ingest of the layer');
  t.false((await ctr('content', 'ls', '-q')).includes(layer), 'the layer blob was never committed');
  t.is((await ctr('images', 'ls', '-q')).trim(), '', 'no image named');
  t.is((await engine.api('GET', '/_ping')).text, 'OK');
}

test.serial('a client leaving mid-download: the held registry fetch is cut at once, not retried, nothing stays', async (t) => {
  const pull = startPull();
  await pull.waitFor(/"Downloading"/);
  await gate.waitHeld(1);
  pull.req.destroy();
  // The engine drops the held blob response itself (otherwise its socket would wait a minute).
  await gate.waitDropped(1);
  await nothingLeft(t);
  t.is(gate.arrived(), 1, 'the cancelled fetch was not retried');
});

test.serial('the docker CLI killed mid-pull: the pull is cancelled the same way', async (t) => {
  const before = gate.dropped();
  const cli = spawn(DOCKER_CLI, ['pull', 'busybox'], { env: { ...process.env, DOCKER_HOST: engine.host, DOCKER_CONFIG: join(engine.dir, 'docker-config') }, stdio: 'ignore' });
  const exited = new Promise((resolve) => cli.once('exit', resolve));
  await gate.waitHeld(2);
  process.kill(cli.pid!, 'SIGKILL');
  await exited;
  await gate.waitDropped(before + 1);
  await nothingLeft(t);
});

test.serial('two clients share one pull; the first leaving does not stop it for the second', async (t) => {
  const arrivedBefore = gate.arrived();
  const droppedBefore = gate.dropped();
  const first = startPull();
  await gate.waitHeld(arrivedBefore + 1);
  const second = startPull();
  await second.waitFor(/Pulling fs layer/); // the joining client is sent the progress so far
  first.req.destroy();
  await first.ended;
  gate.open();
  await second.ended;
  t.regex(second.body(), /Status: Downloaded newer image for busybox:latest/);
  t.is(gate.arrived(), arrivedBefore + 1, 'one download for both clients');
  t.is(gate.dropped(), droppedBefore, 'the shared fetch was not cut');
  t.regex((await engine.dockerOk('image', 'inspect', '--format', '{{.Id}}', 'busybox')).trim(), /^sha256:[0-9a-f]{64}$/);
});
