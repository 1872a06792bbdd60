// An aarch64 machine through the real `tsd` CLI on this x86_64 host (qemu-system-aarch64 -M virt,
// tcg): `tsd machine start` builds or reuses the aarch64 image, boots it, and the real docker CLI
// gets the guest's Engine API (linux/arm64) through the machine's socket; the engine's containerd
// answers too (docker images goes through it); stop powers the guest off cleanly.
import test from 'ava';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const TSD = join(ROOT, 'bin', 'run.js');
const DOCKER = '/usr/local/bin/docker';
const NAME = `e2e-arm-${randomBytes(3).toString('hex')}`;
// image build (first time) + an emulated aarch64 boot on a shared host; the agent retries a hung boot once
const TIMEOUT = 15 * 60_000;

let home = '';
let env: NodeJS.ProcessEnv = {};
let machineDir = '';

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

function recordedPid(file: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(machineDir, file), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

test.before(async () => {
  home = await mkdtemp(join(tmpdir(), 'tsd-e2e-arm-'));
  env = { ...process.env, TSD_HOME: join(home, 'h'), DOCKER_CONFIG: join(home, 'docker') };
  machineDir = join(home, 'h', 'machines', NAME);
  await writeFile(join(home, 'machine.yaml'), 'arch: aarch64\ncpus: 2\nmemory: 1GiB\ndisk: 4\nmounts: []\n');
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
  if (home !== '') await rm(home, { recursive: true, force: true });
});

test.serial('tsd machine start boots an aarch64 machine whose Engine API answers the docker CLI through the socket', async (t) => {
  t.timeout(TIMEOUT + 60_000);
  const created = await tsd('machine', 'create', NAME, '-f', join(home, 'machine.yaml'));
  t.is(created.code, 0, created.stderr);
  const started = await tsd('machine', 'start', NAME);
  const serial = async () => (await readFile(join(machineDir, 'serial.log'), 'utf8').catch(() => '')).slice(-4000);
  t.is(started.code, 0, `${started.stderr}\n--- serial.log ---\n${await serial()}`);

  const status = JSON.parse((await tsd('machine', 'status', NAME, '--json')).stdout) as { arch: string; accel: string; dockerSocket: string };
  t.is(status.arch, 'aarch64');
  t.is(status.accel, 'tcg');
  const host = ['-H', `unix://${status.dockerSocket}`];
  const version = await run(DOCKER, [...host, 'version', '--format', '{{.Server.Os}}/{{.Server.Arch}} {{.Server.KernelVersion}}']);
  t.is(version.code, 0, version.stderr);
  t.regex(version.stdout.trim(), /^linux\/arm64 6\.1\.\S+-arm64$/);
  const images = await run(DOCKER, [...host, 'images', '--format', '{{.ID}}']);
  t.is(images.code, 0, `docker images (through containerd): ${images.stderr}`);
  const uname = await tsd('machine', 'ssh', NAME, '--', 'uname', '-m');
  t.is(uname.stdout.trim(), 'aarch64', uname.stderr);

  const stopped = await tsd('machine', 'stop', NAME);
  t.is(stopped.code, 0, stopped.stderr);
  t.regex(await serial(), /reboot: Power down/);
  const deleted = await tsd('machine', 'delete', NAME, '--force');
  t.is(deleted.code, 0, deleted.stderr);
});
