// The guest image booted under real QEMU (tcg here) with the machine driver's command line, checked
// from the host over SSH: boot steps, data disk (formatted once, then kept), shared folders, env,
// provision, clock, an exec session, a pty shell with resize, the Docker CLI through a streamlocal
// channel, and both ways of powering off (QMP power button, `poweroff` in the guest).
import test from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { GUEST_CONFIG_VERSION, type GuestConfig } from '../../guest/api/guest-config.js';
import { GUEST_DOCKER_SOCKET, GUEST_INIT_READY_LINE } from '../../guest/api/guest-layout.js';
import { createImageBuilder } from '../../src/image/builder.js';
import type { GuestImage } from '../../src/image/guest-image.js';
import { buildQemuArgv, type QemuLaunchSpec } from '../../src/machine/qemu/argv.js';
import { freePort } from '../helpers/free-port.js';

const run = promisify(execFile);
const BOOT_TIMEOUT_MS = 4 * 60_000;
const STOP_TIMEOUT_MS = 60_000;

let dir = '';
let shared = '';
let image: GuestImage;
let spec: QemuLaunchSpec;
let qemu: ChildProcess | undefined;
const userKey = ssh2.utils.generateKeyPairSync('ed25519');
const hostKey = ssh2.utils.generateKeyPairSync('ed25519');

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsd-guest-e2e-'));
  shared = join(dir, 'shared');
  await mkdir(shared);
  await writeFile(join(shared, 'from-host.txt'), 'hello from the host\n');
  image = await createImageBuilder().ensure('x86_64');
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'data.qcow2'), '2G']);
  spec = {
    platform: 'linux',
    arch: 'x86_64',
    accel: 'tcg',
    // microvm does not get past timer calibration under tcg with this kernel and QEMU 7.2 (see docs/guest-init.md).
    machineType: 'q35',
    name: `guest-e2e-${randomBytes(3).toString('hex')}`,
    cpus: 2,
    memoryMiB: 1024,
    kernelPath: image.kernelPath,
    initrdPath: image.initrdPath,
    kernelArgs: image.kernelArgs,
    dataDiskPath: join(dir, 'data.qcow2'),
    sshPort: await freePort(),
    portForwards: [],
    mounts: [
      { tag: 'tsd0', hostPath: shared, writable: true },
      { tag: 'tsd1', hostPath: shared, writable: false },
    ],
    guestConfigPath: join(dir, 'guest-config.json'),
    qmpSocketPath: join(dir, 'qmp.sock'),
    serialLogPath: join(dir, 'serial.log'),
  };
});

test.after.always(async () => {
  if (qemu?.exitCode === null) qemu.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

function guestConfig(): GuestConfig {
  return {
    version: GUEST_CONFIG_VERSION,
    machineName: spec.name,
    hostname: spec.name,
    authorizedKeys: [userKey.public],
    hostKey: hostKey.private,
    hostTimeMs: Date.now(),
    mounts: [
      { tag: 'tsd0', hostPath: shared, guestPath: shared, writable: true },
      { tag: 'tsd1', hostPath: shared, guestPath: '/mnt/host-ro', writable: false },
    ],
    env: { TSD_E2E: "it's here" },
    provision: ['echo provisioned-$TSD_E2E > /run/provisioned'],
    registryMirrors: [],
    insecureRegistries: [],
  };
}

const serial = () => readFile(spec.serialLogPath, 'utf8').catch(() => '');

/** Starts QEMU and waits for the init's ready line; a tcg boot that hangs is retried once. */
async function boot(): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    await rm(spec.serialLogPath, { force: true });
    await writeFile(spec.guestConfigPath, JSON.stringify(guestConfig()));
    const child = spawn('qemu-system-x86_64', buildQemuArgv(spec), { stdio: ['ignore', 'ignore', 'pipe'] });
    qemu = child;
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    while (Date.now() < deadline && child.exitCode === null) {
      const log = await serial();
      if (log.includes(GUEST_INIT_READY_LINE)) return log;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const log = await serial();
    child.kill('SIGKILL');
    if (attempt === 2 || child.exitCode !== null) {
      throw new Error(`guest not ready (attempt ${attempt}); qemu stderr: ${stderr}\nserial log:\n${log.slice(-6000)}`);
    }
  }
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error('QEMU did not exit after the power-off request')), STOP_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function connect(): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on('ready', () => resolve(client)).on('error', reject);
    client.connect({
      host: '127.0.0.1',
      port: spec.sshPort,
      username: 'root',
      privateKey: userKey.private,
      readyTimeout: 60_000,
      // Pin the host key the guest was given.
      hostVerifier: (key: Buffer) => key.equals(parsedPublic(hostKey.public).getPublicSSH()),
    });
  });
}

function parsedPublic(text: string): ssh2.ParsedKey {
  const parsed = ssh2.utils.parseKey(text);
  if (parsed instanceof Error || Array.isArray(parsed)) throw new Error('bad key');
  return parsed;
}

function exec(client: ssh2.Client, command: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) =>
    client.exec(command, (error, channel) => {
      if (error) return reject(error);
      let stdout = '';
      let stderr = '';
      channel.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      channel.on('close', (code: number | null) => resolve({ stdout, stderr, code }));
    }),
  );
}

async function qmp(command: string): Promise<void> {
  const socket = createConnection(spec.qmpSocketPath);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  // QEMU may be gone before our end is flushed (it powers off at once).
  socket.on('error', () => undefined);
  socket.write(JSON.stringify({ execute: 'qmp_capabilities' }) + '\n');
  socket.write(JSON.stringify({ execute: command }) + '\n');
  socket.end();
}

/** A unix socket on the host whose connections are forwarded to the guest's Docker socket. */
function forwardDockerSocket(client: ssh2.Client, path: string): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, (local) => {
    // The CLI may close its end while the guest still sends (EPIPE): that ends this connection only.
    local.on('error', () => local.destroy());
    client.openssh_forwardOutStreamLocal(GUEST_DOCKER_SOCKET, (error, channel: ClientChannel) => {
      if (error) return local.destroy();
      channel.on('error', () => local.destroy());
      local.on('close', () => channel.close());
      local.pipe(channel);
      channel.pipe(local);
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

test.serial('first boot: steps, fresh data disk, shares, env, provision, clock', async (t) => {
  const log = await boot();
  t.regex(log, /tsd-init: step mount-kernel-filesystems: done/);
  t.regex(log, /tsd-init: data disk \/dev\/vd[a-z] \(formatted\) on \/var\/lib/);
  t.notRegex(log, /FAILED/);
  const client = await connect();
  t.teardown(() => client.end());
  const facts = await exec(
    client,
    `hostname; cat ${shared}/from-host.txt; echo from-guest > ${shared}/from-guest.txt; touch /mnt/host-ro/x 2>&1; ` +
      'cat /run/provisioned; echo "$TSD_E2E"; date +%s; echo marker > /var/lib/e2e-marker; sync',
  );
  const [hostname, fromHost, roError, provisioned, env, guestTime] = facts.stdout.trim().split('\n');
  t.is(hostname, spec.name);
  t.is(fromHost, 'hello from the host');
  t.regex(roError ?? '', /Read-only file system/);
  t.is(provisioned, "provisioned-it's here");
  t.is(env, "it's here");
  t.true(Math.abs(Number(guestTime) - Date.now() / 1000) < 120, `guest clock ${guestTime} is near the host's`);
  t.is(await readFile(join(shared, 'from-guest.txt'), 'utf8'), 'from-guest\n');
});

test.serial('a pty shell is the controlling terminal and follows window changes', async (t) => {
  const client = await connect();
  t.teardown(() => client.end());
  const channel = await new Promise<ClientChannel>((resolve, reject) =>
    client.shell({ term: 'xterm', rows: 24, cols: 80 }, (error, stream) => (error ? reject(error) : resolve(stream))),
  );
  let output = '';
  const seen = (pattern: RegExp) =>
    new Promise<void>((resolve) => {
      const check = () => pattern.test(output) && (channel.off('data', onData), resolve());
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        check();
      };
      channel.on('data', onData);
      check();
    });
  const closed = new Promise<number>((resolve) => channel.on('close', (code: number) => resolve(code)));
  channel.write('tty; stty size\n');
  await seen(/\/dev\/pts\/\d+\r?\n24 80/);
  channel.setWindow(40, 120, 0, 0);
  channel.write('stty size\n');
  await seen(/40 120/);
  channel.write('exit 3\n');
  t.is(await closed, 3);
});

test.serial('the docker CLI reaches the engine through a streamlocal channel; the power button powers off', async (t) => {
  const client = await connect();
  const socketPath = join(dir, 'docker.sock');
  const server = await forwardDockerSocket(client, socketPath);
  const docker = (...args: string[]) => run('/usr/local/bin/docker', ['-H', `unix://${socketPath}`, ...args], { env: { ...process.env, DOCKER_CONFIG: dir } });
  const version = JSON.parse((await docker('version', '--format', '{{json .Server}}')).stdout) as { KernelVersion: string; Os: string };
  t.regex(version.KernelVersion, /^6\.1\./);
  const info = JSON.parse((await docker('info', '--format', '{{json .}}')).stdout) as { Name: string; NCPU: number; DockerRootDir: string };
  t.is(info.Name, spec.name);
  t.is(info.NCPU, 2);
  t.is(info.DockerRootDir, '/var/lib/docker');
  server.close();
  client.end();
  await qmp('system_powerdown');
  await waitForExit(qemu!);
  const log = await serial();
  t.regex(log, /tsd-init: power button: poweroff/);
  t.regex(log, /EXT4-fs \(vd[a-z]\): unmounting filesystem/);
  t.regex(log, /reboot: Power down/);
});

/**
 * Under tcg the guest's TSC runs at the host's rate, but microvm has no PIT gate, HPET or PM timer
 * to measure it with: without the frequency on the command line the kernel waits for timer ticks
 * forever. (Hardware accelerators give the guest kvmclock or similar instead.)
 */
async function hostTscKhz(): Promise<number> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8');
  const mhz = /^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo);
  if (!mhz) throw new Error('no "cpu MHz" in /proc/cpuinfo');
  return Math.round(Number(mhz[1]) * 1000);
}

test.serial('microvm: boots when given the TSC frequency; the ACPI power button powers off', async (t) => {
  const q35 = spec;
  spec = { ...q35, machineType: 'microvm', kernelArgs: [...q35.kernelArgs, `tsc_early_khz=${await hostTscKhz()}`, 'tsc=reliable'] };
  t.teardown(() => {
    spec = q35;
  });
  const log = await boot();
  t.regex(log, /ACPI: button: Power Button/);
  t.regex(log, /tsd-init: power button: \/dev\/input\/event\d/);
  const client = await connect();
  t.is((await exec(client, 'cat /var/lib/e2e-marker')).stdout, 'marker\n');
  client.end();
  await qmp('system_powerdown');
  await waitForExit(qemu!);
  t.regex(await serial(), /tsd-init: power button: poweroff[\s\S]*reboot: Power down/);
});

test.serial('a later boot keeps the data disk; poweroff in the guest shuts down cleanly', async (t) => {
  const log = await boot();
  t.regex(log, /tsd-init: data disk \/dev\/vd[a-z] \(existing\) on \/var\/lib/);
  const client = await connect();
  t.is((await exec(client, 'cat /var/lib/e2e-marker')).stdout, 'marker\n');
  client.on('error', () => undefined);
  void exec(client, 'poweroff').catch(() => undefined);
  await waitForExit(qemu!);
  client.end();
  const after = await serial();
  t.regex(after, /tsd-init: SIGUSR2: poweroff/);
  t.regex(after, /reboot: Power down/);
});
