// The whole engine in a machine's guest (x86_64, tcg): `tsd machine start` boots the image, the
// real docker CLI talks to the guest's dockerd through the machine's socket, and a container runs
// there (containerd → shim → tsd-runc, networking through the image's iproute2 and nftables).
// Images come from the fixture registry on the host's loopback, reached from the guest as
// 10.0.2.2 (QEMU user networking) through the machine's registryMirrors. A published port is
// opened on the user's host by the guest dockerd's publish hook and the host agent: curl on the
// host's 127.0.0.1 gets the fixture nginx's page. One boot for every check.
import test from 'ava';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { NGINX_INDEX_HTML } from '../fixtures/nginx-rootfs.js';
import { freePort } from '../helpers/free-port.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const TSD = join(ROOT, 'bin', 'run.js');
const DOCKER = '/usr/local/bin/docker';
const NAME = `e2e-engine-${randomBytes(3).toString('hex')}`;
// image build (first time) + a tcg boot + pulls and container starts on a shared 2-core host
const TIMEOUT = 15 * 60_000;

let home = '';
let env: NodeJS.ProcessEnv = {};
let machineDir = '';
let fixtures: FixtureRegistry | undefined;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: TIMEOUT, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

const tsd = (...args: string[]) => run(process.execPath, [TSD, ...args]);
const serial = async () => (await readFile(join(machineDir, 'serial.log'), 'utf8').catch(() => '')).slice(-4000);

function recordedPid(file: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(machineDir, file), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

test.before(async () => {
  fixtures = await startFixtureRegistry();
  const port = fixtures.host.split(':')[1]!;
  home = await mkdtemp(join(tmpdir(), 'tsd-e2e-engine-'));
  env = { ...process.env, TSD_HOME: join(home, 'h'), DOCKER_CONFIG: join(home, 'docker') };
  machineDir = join(home, 'h', 'machines', NAME);
  await writeFile(
    join(home, 'machine.yaml'),
    [
      'arch: x86_64',
      'cpus: 2',
      'memory: 1GiB',
      'disk: 4',
      'mounts: []',
      `registryMirrors: ["http://10.0.2.2:${port}"]`,
      `insecureRegistries: ["10.0.2.2:${port}"]`,
      '',
    ].join('\n'),
  );
});

test.after.always(async () => {
  // Only processes this test started: the agent and QEMU recorded in the machine's pid files.
  for (const pid of [recordedPid('agent.pid'), recordedPid('qemu.pid')]) {
    if (pid === undefined) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await fixtures?.stop();
  if (home !== '') await rm(home, { recursive: true, force: true });
});

test.serial('containers run in the machine: docker run prints, a published port answers curl on the host', async (t) => {
  t.timeout(TIMEOUT + 60_000);
  const created = await tsd('machine', 'create', NAME, '-f', join(home, 'machine.yaml'));
  t.is(created.code, 0, created.stderr);
  const started = await tsd('machine', 'start', NAME);
  t.is(started.code, 0, `${started.stderr}\n--- serial.log ---\n${await serial()}`);
  const status = JSON.parse((await tsd('machine', 'status', NAME, '--json')).stdout) as { dockerSocket: string };
  const docker = (...args: string[]) => run(DOCKER, ['-H', `unix://${status.dockerSocket}`, ...args]);
  const failure = async (what: string, result: Run) => `${what}: ${result.stderr}\n--- serial.log ---\n${await serial()}`;

  const echoed = await docker('run', '--rm', 'busybox', 'echo', 'hi');
  t.is(echoed.code, 0, await failure('docker run --rm busybox echo hi', echoed));
  t.is(echoed.stdout, 'hi\n');

  const hostPort = await freePort();
  const nginx = await docker('run', '-d', '-p', `127.0.0.1:${hostPort}:80`, 'nginx');
  t.is(nginx.code, 0, await failure('docker run -d -p … nginx', nginx));
  const page = await run('/usr/bin/curl', ['-sS', '--max-time', '60', '--retry', '10', '--retry-connrefused', '--retry-delay', '1', `http://127.0.0.1:${hostPort}/`]);
  t.is(page.code, 0, await failure(`curl http://127.0.0.1:${hostPort}/ on the host`, page));
  t.is(page.stdout, NGINX_INDEX_HTML);
  const removed = await docker('rm', '-f', nginx.stdout.trim());
  t.is(removed.code, 0, removed.stderr);

  const stopped = await tsd('machine', 'stop', NAME);
  t.is(stopped.code, 0, stopped.stderr);
  const deleted = await tsd('machine', 'delete', NAME, '--force');
  t.is(deleted.code, 0, deleted.stderr);
});
