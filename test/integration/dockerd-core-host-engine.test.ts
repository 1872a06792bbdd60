// The host-mode launcher (npm run engine): two engines side by side with their own sockets,
// bridges and subnets; config-file errors reported before anything starts; clean stop.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHostEngine } from '../helpers/host-engine.js';

test('two host-mode engines run side by side with different bridges and subnets', async (t) => {
  const [a, b] = await Promise.all([startHostEngine(), startHostEngine()]);
  t.teardown(async () => {
    await a.stop();
    await b.stop();
  });
  const configA = JSON.parse(await readFile(join(a.dir, 'engine', 'daemon.json'), 'utf8')) as { bridge: string; bip: string };
  const configB = JSON.parse(await readFile(join(b.dir, 'engine', 'daemon.json'), 'utf8')) as { bridge: string; bip: string };
  t.not(configA.bridge, configB.bridge);
  t.not(configA.bip, configB.bip);
  const idA = (await a.dockerOk('info', '--format', '{{.ID}}')).trim();
  const idB = (await b.dockerOk('info', '--format', '{{.ID}}')).trim();
  t.not(idA, idB);
  // The default bridge network of each engine is on its own subnet.
  const subnet = async (engine: typeof a): Promise<string> => (await engine.dockerOk('network', 'inspect', '--format', '{{(index .IPAM.Config 0).Subnet}}', 'bridge')).trim();
  t.is(await subnet(a), configA.bip.replace(/\.1\/24$/, '.0/24'));
  t.is(await subnet(b), configB.bip.replace(/\.1\/24$/, '.0/24'));
  // The launcher logs both daemons and keeps their PIDs.
  t.true(Number.isInteger(await a.pid('dockerd')));
  t.regex(a.log(), /\[dockerd\] dockerd: listening on/);
  t.true(existsSync(join(a.dir, 'engine', 'logs', 'containerd.log')));
});

test('a config file that sets what the launcher sets, or is invalid, stops the launch with the reason', async (t) => {
  const conflict = await startHostEngine({ daemonJson: { 'data-root': '/var/lib/elsewhere' } }).then(
    async (engine) => {
      await engine.stop();
      return undefined;
    },
    (error: Error) => error,
  );
  t.truthy(conflict);
  t.regex(conflict!.message, /the following directives are specified both as a flag and in the configuration file: data-root/);
  const invalid = await startHostEngine({ daemonJson: { bip: 'not-a-cidr' } }).then(
    async (engine) => {
      await engine.stop();
      return undefined;
    },
    (error: Error) => error,
  );
  t.truthy(invalid);
  t.regex(invalid!.message, /unable to configure the Docker daemon with file .*daemon\.json: invalid value for "bip"/);
});

test('stop ends both daemons', async (t) => {
  const engine = await startHostEngine();
  const pids = [await engine.pid('containerd'), await engine.pid('dockerd')];
  await engine.stop();
  for (const pid of pids) t.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
});

test('Ctrl-C (SIGINT to the launcher\'s process group) stops dockerd, then containerd, and exits 0', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tsdtest-engine-ctrlc-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const launcher = spawn(process.execPath, ['--import', 'tsx', 'guest/engine/main.ts', '--root', join(dir, 'engine'), '--socket', join(dir, 'd.sock')], {
    detached: true, // its own process group, like a terminal job
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  launcher.stdout.on('data', (d: Buffer) => (out += d.toString()));
  launcher.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => launcher.once('exit', (code) => resolve(code)));
  for (let i = 0; i < 1200 && !out.includes('engine ready:'); i++) await new Promise((r) => setTimeout(r, 100));
  t.regex(out, /engine ready:/);
  const pids = await Promise.all(['containerd', 'dockerd'].map(async (name) => Number((await readFile(join(dir, 'engine', `${name}.pid`), 'utf8')).trim())));
  process.kill(-launcher.pid!, 'SIGINT');
  t.is(await exited, 0);
  t.regex(out, /engine: SIGINT, stopped/);
  t.notRegex(out, /starting it again/);
  for (const pid of pids) t.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
});
