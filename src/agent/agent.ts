/**
 * The host agent: one detached process per machine that owns QEMU, the SSH connection and the
 * Docker socket forward, and outlives the CLI that started it.
 *
 *   CLI ──spawn──▶ agent ──spawn──▶ QEMU ──boot──▶ guest init, sshd, engine
 *    │ launch.json   │ state.json (atomic), agent.pid (lock), agent.sock (status, stop)
 *    └──poll state──┘ docker.sock ══ ssh direct-streamlocal ══▶ /run/docker.sock
 *
 * Life: take agent.pid → starting (boot, one retry on a boot timeout) → running → stopping
 * (ACPI powerdown, then quit, then kill) → stopped, files cleaned, exit.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { GUEST_DOCKER_SOCKET } from '../../guest/api/guest-layout.js';
import { asTsdError } from '../../guest/api/errors.js';
import { writeJsonAtomic } from '../machine/atomic-file.js';
import { machinePaths, type MachinePaths } from '../machine/paths.js';
import { acquirePidFile } from '../machine/pid-file.js';
import { canTransition, type MachineState } from '../machine/state.js';
import { readMachineKeys } from '../ssh/keys.js';
import { ReconnectingSsh } from '../ssh/reconnecting.js';
import { SocketForward } from '../forward/socket-forward.js';
import { startHostPorts, type HostPorts } from '../host-ports/agent-hook.js';
import { bootOnce, type BootedMachine } from './boot.js';
import { setGuestClock, watchWallClock, type ClockWatch } from './clock.js';
import { listenControl } from './control-server.js';
import type { ControlRequest, ControlResponse } from './control-protocol.js';
import type { LaunchPlan } from './launch-plan.js';
import type { QemuProcess } from './qemu-process.js';
import { ReadinessError } from './readiness.js';
import { serialTail } from './serial-tail.js';

type Log = (line: string) => void;

export class HostAgent {
  private state: MachineState = { state: 'stopped' };
  private machine: BootedMachine | undefined;
  /** The QEMU of the boot attempt in progress, so that a stop during start can end it. */
  private booting: QemuProcess | undefined;
  private ssh: ReconnectingSsh | undefined;
  private forward: SocketForward | undefined;
  /** Published container ports on the host (the host-ports channel); closed when the machine stops. */
  private hostPorts: HostPorts | undefined;
  private clock: ClockWatch | undefined;
  private stopping: Promise<void> | undefined;
  private exitCode = 0;
  private resolveDone: () => void = () => {};
  private readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(private readonly paths: MachinePaths, private readonly plan: LaunchPlan, private readonly log: Log) {}

  async run(): Promise<number> {
    const control = await listenControl(this.paths.controlSocket, (request) => this.onControl(request));
    process.on('SIGTERM', () => void this.stop(false));
    process.on('SIGINT', () => void this.stop(false));
    process.on('SIGHUP', () => {}); // detached from any terminal; ignore hangups
    try {
      await this.start();
    } catch (error) {
      const message = asTsdError(error).message;
      this.log(`start failed: ${message}`);
      await this.stop(true, message);
    }
    await this.done;
    control.close();
    return this.exitCode;
  }

  private async start(): Promise<void> {
    const keys = await readMachineKeys(this.paths);
    const { arch, accel } = this.plan.spec;
    let booted: BootedMachine | undefined;
    let attempt = 0;
    // The guest clock is set as soon as SSH answers, while the engine starts (off the path to running).
    let clockSet: Promise<void> = Promise.resolve();
    while (booted === undefined) {
      attempt += 1;
      try {
        booted = await bootOnce(
          this.plan,
          this.paths,
          keys,
          (phase, sshPort) => this.setState({ state: 'starting', phase, attempt, accel, arch, sshPort }),
          (qemu) => (this.booting = qemu),
          (ssh) => (clockSet = this.syncClock(ssh)),
        );
      } catch (error) {
        if (this.stopping) return;
        const retry = error instanceof ReadinessError && error.timedOut && error.check.retryOnTimeout && attempt === 1;
        const message = `${(error as Error).message}\n--- serial.log (last lines) ---\n${await serialTail(this.paths.serialLog)}`;
        if (!retry) throw Object.assign(new Error(message), { cause: error });
        this.log(`boot attempt ${attempt} failed, retrying once: ${message}`);
      }
    }
    this.machine = booted;
    this.booting = undefined;
    const { timings } = booted;
    this.log(`ready: qmp ${timings.qmp} ms, console ${timings.console} ms, ssh ${timings.ssh} ms, engine ${timings.engine} ms after spawn`);
    if (this.stopping) return;
    const ssh = new ReconnectingSsh(
      {
        target: { port: booted.sshPort, keys },
        log: this.log,
        onReconnect: (next) => {
          void this.syncClock(next);
          void this.hostPorts?.attach(next);
        },
      },
      booted.ssh,
    );
    this.ssh = ssh;
    await clockSet;
    this.forward = await SocketForward.listen({
      hostPath: this.paths.dockerSocket,
      open: async () => (await ssh.current()).openStreamLocal(GUEST_DOCKER_SOCKET),
      log: this.log,
    });
    this.hostPorts = await startHostPorts(ssh, booted.ssh, this.log, booted.qmp);
    this.clock = watchWallClock((jump) => {
      this.log(`host wall clock jumped ${Math.round(jump / 1000)} s (sleep?); setting the guest clock`);
      void ssh.current().then((connection) => this.syncClock(connection));
    });
    void booted.qemu.exited.then(() => {
      if (!this.stopping) void this.stop(true, 'the guest stopped on its own (powered off or crashed); see serial.log');
    });
    await this.setState({ state: 'running', accel, arch, sshPort: booted.sshPort, startedAtMs: Date.now(), timings, attempt });
  }

  private async syncClock(ssh: Parameters<typeof setGuestClock>[0]): Promise<void> {
    await setGuestClock(ssh).then(
      (guestTime) => this.log(`guest clock set: ${guestTime}`),
      (error: Error) => this.log(`could not set the guest clock: ${error.message}`),
    );
  }

  private async onControl(request: ControlRequest): Promise<ControlResponse> {
    if (request.op === 'stop') void this.stop(request.force === true);
    return { ok: true, state: this.state };
  }

  /** Stops once; later calls wait for the same stop. */
  stop(force: boolean, reason?: string): Promise<void> {
    this.stopping ??= this.shutdown(force, reason);
    return this.stopping;
  }

  private async shutdown(force: boolean, reason?: string): Promise<void> {
    const current = this.state;
    if (current.state === 'running') await this.setState({ ...current, state: 'stopping' });
    this.clock?.stop();
    await this.forward?.close().catch(() => {});
    await this.hostPorts?.close();
    this.ssh?.stop();
    this.booting?.kill(); // a stop during start: no clean shutdown of a half-booted guest
    const machine = this.machine;
    if (machine !== undefined && machine.qemu.running) {
      if (!force) await this.powerdown(machine);
      if (machine.qemu.running) machine.qemu.kill();
      await machine.qemu.exited;
    }
    machine?.qmp.close();
    await this.finish(reason);
  }

  /** ACPI power button, then QMP quit, each with its timeout. */
  private async powerdown(machine: BootedMachine): Promise<void> {
    const exitedWithin = (ms: number) =>
      Promise.race([machine.qemu.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
    this.log('stopping: ACPI powerdown');
    await machine.qmp.execute('system_powerdown', {}).catch((error: Error) => this.log(`system_powerdown: ${error.message}`));
    if (await exitedWithin(this.plan.shutdownTimeoutMs)) return;
    this.log(`the guest did not power off within ${this.plan.shutdownTimeoutMs} ms; quitting QEMU`);
    await machine.qmp.execute('quit', {}).catch(() => {});
    if (await exitedWithin(5_000)) return;
    this.log('QEMU did not quit; killing it');
  }

  /** Final state and files; the machine directory keeps only what persists across starts. */
  private async finish(lastError?: string): Promise<void> {
    if (this.state.state !== 'stopped' || lastError !== undefined) {
      const stopped: MachineState = lastError === undefined ? { state: 'stopped' } : { state: 'stopped', lastError };
      this.state = stopped;
      await writeJsonAtomic(this.paths.state, stopped);
    }
    for (const path of [this.paths.qmpSocket, this.paths.dockerSocket, this.paths.qemuPid, this.paths.agentPid]) {
      if (!path.startsWith('\\\\')) await rm(path, { force: true });
    }
    if (lastError !== undefined) this.exitCode = 1;
    this.resolveDone();
  }

  private async setState(next: MachineState): Promise<void> {
    if (!canTransition(this.state.state, next.state)) {
      this.log(`ignored state change ${this.state.state} → ${next.state}`);
      return;
    }
    this.state = next;
    await writeJsonAtomic(this.paths.state, next);
  }
}

/** Entry: `node dist/src/agent/main.js <machineDir>` with stdout/stderr going to agent.log. */
export async function runAgentForDirectory(machineDir: string, log: Log): Promise<number> {
  const home = dirname(dirname(machineDir));
  const paths = machinePaths(basename(machineDir), { ...process.env, TSD_HOME: home });
  try {
    await acquirePidFile(paths.agentPid, paths.dir);
  } catch (error) {
    log(`not starting: ${asTsdError(error).message}`);
    return 5;
  }
  log(`agent ${process.pid} for ${paths.dir}; files: ${(await readdir(paths.dir)).join(' ')}`);
  const plan = JSON.parse(await readFile(paths.launch, 'utf8')) as LaunchPlan;
  return new HostAgent(paths, plan, log).run();
}
