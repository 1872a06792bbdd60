/**
 * A guest VM for e2e tests of the guest side: QEMU started with the machine driver's command line
 * (src/machine/qemu/argv.ts) and a GuestConfig written by the test, reached over SSH with ssh2.
 * A tcg boot that hangs (about 1 in 90) is retried once; failures carry the serial log.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { GUEST_CONFIG_VERSION, type GuestConfig, type GuestMount } from '../../guest/api/guest-config.js';
import { GUEST_DOCKER_SOCKET, GUEST_INIT_READY_LINE } from '../../guest/api/guest-layout.js';
import type { GuestImage } from '../../src/image/guest-image.js';
import { buildQemuArgv, type QemuLaunchSpec, type X86MachineType } from '../../src/machine/qemu/argv.js';
import { parseableKeyPair } from '../../src/ssh/keys.js';
import { freePort } from './free-port.js';

const run = promisify(execFile);
const BOOT_TIMEOUT_MS = 5 * 60_000;
const STOP_TIMEOUT_MS = 60_000;

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export interface GuestVmOptions {
  dir: string;
  image: GuestImage;
  name: string;
  mounts?: GuestMount[];
  env?: Record<string, string>;
  provision?: string[];
}

export class GuestVm {
  spec!: QemuLaunchSpec;
  qemu: ChildProcess | undefined;
  /** Every QEMU this VM started: kill() ends them all, so a test that fails mid-boot leaks none (a leaked one keeps ava's worker alive). */
  readonly #spawned = new Set<ChildProcess>();
  // Pairs ssh2 can parse back (about 1 in 250 of its ed25519 pairs cannot: the guest's sshd then
  // never starts, as one CI run saw).
  readonly userKey = parseableKeyPair('tsd-e2e-user');
  readonly hostKey = parseableKeyPair('tsd-e2e-host');

  private constructor(private readonly options: GuestVmOptions) {}

  static async create(options: GuestVmOptions): Promise<GuestVm> {
    const vm = new GuestVm(options);
    await mkdir(options.dir, { recursive: true });
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', join(options.dir, 'data.qcow2'), '2G']);
    vm.spec = {
      platform: 'linux',
      arch: options.image.arch,
      accel: 'tcg',
      name: options.name,
      cpus: 2,
      memoryMiB: 1024,
      kernelPath: options.image.kernelPath,
      initrdPath: options.image.initrdPath,
      ...(options.image.rootDiskPath === undefined ? {} : { rootDiskPath: options.image.rootDiskPath }),
      kernelArgs: options.image.kernelArgs,
      dataDiskPath: join(options.dir, 'data.qcow2'),
      sshPort: await freePort(),
      portForwards: [],
      mounts: (options.mounts ?? []).map((m) => ({ tag: m.tag, hostPath: m.hostPath, writable: m.writable })),
      guestConfigPath: join(options.dir, 'guest-config.json'),
      qmpSocketPath: join(options.dir, 'qmp.sock'),
      serialLogPath: join(options.dir, 'serial.log'),
    };
    return vm;
  }

  /** x86_64 board; extra kernel words (e.g. the TSC frequency microvm needs under tcg). */
  useBoard(machineType: X86MachineType, extraKernelArgs: string[] = []): void {
    this.spec = { ...this.spec, machineType, kernelArgs: [...this.options.image.kernelArgs, ...extraKernelArgs] };
  }

  guestConfig(): GuestConfig {
    return {
      version: GUEST_CONFIG_VERSION,
      machineName: this.options.name,
      hostname: this.options.name,
      authorizedKeys: [this.userKey.public],
      hostKey: this.hostKey.private,
      hostTimeMs: Date.now(),
      mounts: this.options.mounts ?? [],
      env: this.options.env ?? {},
      provision: this.options.provision ?? [],
      registryMirrors: [],
      insecureRegistries: [],
    };
  }

  serial(): Promise<string> {
    return readFile(this.spec.serialLogPath, 'utf8').catch(() => '');
  }

  /** Starts QEMU and resolves with the serial log once the init's ready line is in it. */
  async boot(): Promise<string> {
    const binary = this.spec.arch === 'aarch64' ? 'qemu-system-aarch64' : 'qemu-system-x86_64';
    for (let attempt = 1; ; attempt++) {
      await rm(this.spec.serialLogPath, { force: true });
      await writeFile(this.spec.guestConfigPath, JSON.stringify(this.guestConfig()));
      // A QEMU of an earlier boot still running (its test failed before powering it off) holds the disk's lock.
      this.kill();
      const child = spawn(binary, buildQemuArgv(this.spec), { stdio: ['ignore', 'ignore', 'pipe'] });
      this.qemu = child;
      this.#spawned.add(child);
      child.once('exit', () => this.#spawned.delete(child));
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const deadline = Date.now() + BOOT_TIMEOUT_MS;
      while (Date.now() < deadline && child.exitCode === null) {
        const log = await this.serial();
        if (log.includes(GUEST_INIT_READY_LINE)) return log;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const log = await this.serial();
      const exited = child.exitCode !== null;
      child.kill('SIGKILL');
      if (attempt === 2 || exited) {
        throw new Error(`guest not ready (attempt ${attempt}); qemu stderr: ${stderr}\nserial log:\n${log.slice(-6000)}`);
      }
    }
  }

  waitForExit(): Promise<number | null> {
    const child = this.qemu!;
    return new Promise((resolve, reject) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      const timer = setTimeout(() => reject(new Error('QEMU did not exit after the power-off request')), STOP_TIMEOUT_MS);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  kill(): void {
    for (const child of this.#spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  connect(): Promise<ssh2.Client> {
    const pinned = publicKey(this.hostKey.public).getPublicSSH();
    return new Promise((resolve, reject) => {
      const client = new ssh2.Client();
      client.on('ready', () => resolve(client)).on('error', reject);
      client.connect({
        host: '127.0.0.1',
        port: this.spec.sshPort,
        username: 'root',
        privateKey: this.userKey.private,
        readyTimeout: 60_000,
        hostVerifier: (key: Buffer) => key.equals(pinned),
      });
    });
  }

  async qmp(command: string): Promise<void> {
    const socket = createConnection(this.spec.qmpSocketPath);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    // QEMU may be gone before our end is flushed (it powers off at once).
    socket.on('error', () => undefined);
    socket.write(JSON.stringify({ execute: 'qmp_capabilities' }) + '\n');
    socket.write(JSON.stringify({ execute: command }) + '\n');
    socket.end();
  }
}

function publicKey(text: string): ssh2.ParsedKey {
  const parsed = ssh2.utils.parseKey(text);
  if (parsed instanceof Error || Array.isArray(parsed)) throw new Error('bad key');
  return parsed;
}

export function exec(client: ssh2.Client, command: string): Promise<ExecResult> {
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

/** A unix socket on the host whose connections are forwarded to the guest's Docker socket. */
export function forwardDockerSocket(client: ssh2.Client, path: string): Promise<Server> {
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

/**
 * Under tcg the guest's TSC runs at the host's rate, but microvm has no PIT gate, HPET or PM timer
 * to measure it with: without the frequency on the command line the kernel waits for timer ticks
 * forever. (Hardware accelerators give the guest kvmclock or similar instead.)
 */
export async function hostTscKhz(): Promise<number> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8');
  const mhz = /^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo);
  if (!mhz) throw new Error('no "cpu MHz" in /proc/cpuinfo');
  return Math.round(Number(mhz[1]) * 1000);
}
