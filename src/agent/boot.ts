/**
 * One boot attempt, in named steps: write the guest config (with the host's clock), spawn QEMU,
 * wait for QMP, for SSH (then onSsh), then for the Engine API. On failure everything started is torn down and
 * a ReadinessError says which step failed; the caller decides about the one retry.
 */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { GUEST_CONTAINERD_SOCKET, GUEST_DOCKER_SOCKET, GUEST_SSHD_ANSWERS_LINE } from '../../guest/api/guest-layout.js';
import type { GuestConfig } from '../../guest/api/guest-config.js';
import type { MachinePaths } from '../machine/paths.js';
import { writeJsonAtomic } from '../machine/atomic-file.js';
import { buildQemuArgv } from '../machine/qemu/argv.js';
import { QmpClient } from '../machine/qemu/qmp.js';
import type { BootTimings, StartPhase } from '../machine/state.js';
import { GuestSsh } from '../ssh/client.js';
import type { MachineKeys } from '../ssh/keys.js';
import { pingEngine } from './engine-ping.js';
import type { LaunchPlan } from './launch-plan.js';
import { QemuProcess } from './qemu-process.js';
import { CHECKS, waitReady } from './readiness.js';
import { ConsoleWatch } from './serial-tail.js';

export interface BootedMachine {
  qemu: QemuProcess;
  qmp: QmpClient;
  ssh: GuestSsh;
  sshPort: number;
  timings: BootTimings;
}

const QMP_TIMEOUT_MS = 10_000;
// Short while the guest may still be booting: a probe sent before its network is up waits for
// slirp to retransmit the SYN, and a new probe gets through sooner. Once the console says sshd
// accepts, a slow handshake is a busy guest (three Node daemons starting on two vCPUs), and cutting
// it off only starts it over from scratch.
const SSH_HANDSHAKE_MS = 5_000;
const SSH_HANDSHAKE_LISTENING_MS = 30_000;
const PING_MS = 3_000;

/** A free TCP port on 127.0.0.1 for the SSH hostfwd (QEMU binds it right after). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function bootOnce(
  plan: LaunchPlan,
  paths: MachinePaths,
  keys: MachineKeys,
  onPhase: (phase: StartPhase, sshPort: number) => Promise<void>,
  onSpawn: (qemu: QemuProcess) => void,
  /** Called as soon as SSH answers, while the engine is still starting (work that needs only SSH starts here). */
  onSsh: (ssh: GuestSsh) => void = () => {},
): Promise<BootedMachine> {
  const sshPort = await freeLoopbackPort();
  const guestConfig: GuestConfig = { ...plan.guestConfig, hostTimeMs: Date.now() };
  await writeJsonAtomic(paths.guestConfig, guestConfig);
  await writeFile(paths.serialLog, ''); // this attempt's console only (QEMU also truncates, but later)
  await onPhase('qemu', sshPort);
  const started = Date.now();
  const consoleWatch = new ConsoleWatch(paths.serialLog);
  const qemu = await QemuProcess.spawn(plan.qemuPath, buildQemuArgv({ ...plan.spec, sshPort }), paths.qemuPid);
  onSpawn(qemu);
  let qmp: QmpClient | undefined;
  let ssh: GuestSsh | undefined;
  try {
    qmp = await waitReady(CHECKS.qmp, QMP_TIMEOUT_MS, qemu, () => QmpClient.connect(paths.qmpSocket));
    const qmpMs = Date.now() - started;
    await onPhase('boot', sshPort);
    ssh = await waitReady(
      CHECKS.ssh,
      plan.bootTimeoutMs,
      qemu,
      async () => {
        const listening = await consoleWatch.contains(GUEST_SSHD_ANSWERS_LINE);
        return GuestSsh.connect({ port: sshPort, keys, readyTimeoutMs: listening ? SSH_HANDSHAKE_LISTENING_MS : SSH_HANDSHAKE_MS });
      },
      { silentMs: () => consoleWatch.silentMs(), limitMs: plan.bootStallMs ?? plan.bootTimeoutMs },
    );
    const sshMs = Date.now() - started;
    onSsh(ssh);
    await onPhase('engine', sshPort);
    const connected = ssh;
    await waitReady(CHECKS.engine, plan.engineTimeoutMs, qemu, async () => {
      if (!(await pingEngine(await connected.openStreamLocal(GUEST_DOCKER_SOCKET), PING_MS))) throw new Error('no 200 OK to GET /_ping');
      // dockerd answers /_ping before containerd is up, but the first image or container request
      // needs containerd: "running" waits until its socket accepts too (the channel opens only then).
      (await connected.openStreamLocal(GUEST_CONTAINERD_SOCKET)).destroy();
    });
    consoleWatch.stop();
    const consoleMs = consoleWatch.firstOutputAt === undefined ? -1 : consoleWatch.firstOutputAt - started;
    return { qemu, qmp, ssh, sshPort, timings: { qmp: qmpMs, console: consoleMs, ssh: sshMs, engine: Date.now() - started } };
  } catch (error) {
    consoleWatch.stop();
    ssh?.end();
    qmp?.close();
    qemu.kill();
    await qemu.exited;
    throw error;
  }
}
