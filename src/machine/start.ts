/**
 * `tsd machine start`: the CLI side of a start. It decides (image, QEMU binary, accelerator,
 * timeouts) and writes launch.json, spawns the detached host agent, and follows state.json until
 * the machine is running or the agent gives up (its last error includes the serial log tail).
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TsdError } from '../../guest/api/errors.js';
import type { LaunchPlan } from '../agent/launch-plan.js';
import { loadMachineConfig } from '../config/load.js';
import { ensureDockerContext } from '../docker-context/docker-context.js';
import { createImageBuilder, readImageManifest } from '../image/builder.js';
import { defaultCacheDir } from '../image/cache.js';
import { readMachineKeys } from '../ssh/keys.js';
import { writeJsonAtomic } from './atomic-file.js';
import { buildGuestConfig } from './guest-config.js';
import { observeMachine, readStateFile } from './observe.js';
import { chooseAccel } from './qemu/accel.js';
import { findProgram, hostSearch, qemuSystemProgram } from './qemu/binary.js';
import { hostTscKhz } from './qemu/host-tsc.js';
import { probeKvm } from './qemu/kvm-probe.js';
import type { MachinePaths } from './paths.js';
import type { MachineState, RunningAccel, StartPhase } from './state.js';

export interface StartUi {
  info(line: string): void;
  warn(line: string): void;
}

const PHASE_TEXT: Record<StartPhase, string> = {
  qemu: 'starting QEMU',
  boot: 'booting the guest',
  engine: 'waiting for the Docker Engine API',
};

/** Timeouts per accelerator: tcg boots are seconds, and this host may be shared and busy. */
function timeouts(accel: RunningAccel): Pick<LaunchPlan, 'bootTimeoutMs' | 'bootStallMs' | 'engineTimeoutMs' | 'shutdownTimeoutMs'> {
  // A healthy tcg boot here writes to the console at least every few seconds; the hung ones
  // (about 1 in 90, stuck after "tsc: Unable to calibrate against PIT") stay silent for good.
  return accel === 'tcg'
    ? { bootTimeoutMs: 120_000, bootStallMs: 30_000, engineTimeoutMs: 60_000, shutdownTimeoutMs: 20_000 }
    : { bootTimeoutMs: 30_000, bootStallMs: 15_000, engineTimeoutMs: 30_000, shutdownTimeoutMs: 10_000 };
}

async function plan(paths: MachinePaths, ui: StartUi): Promise<LaunchPlan> {
  const config = await loadMachineConfig(paths.config);
  const image = await createImageBuilder().ensure(config.arch, { onProgress: (line) => ui.info(line) });
  const qemuPath = findProgram(qemuSystemProgram(config.arch), hostSearch());
  const choice = await chooseAccel(config.accel, config.arch, {
    platform: process.platform,
    hostArch: process.arch,
    kvmWorks: async () => {
      const kernelSha256 = (await readImageManifest(image.manifestPath)).files.kernel.sha256;
      return probeKvm(qemuPath, config.arch, image.kernelPath, defaultCacheDir(), `sha256:${kernelSha256}`);
    },
  });
  if (choice.warning !== undefined) ui.warn(choice.warning);
  // x86_64 under tcg: microvm when the host's TSC rate is known (see argv.ts), else q35.
  const tscKhz = config.arch === 'x86_64' && choice.accel === 'tcg' ? hostTscKhz() : undefined;
  const machineType = config.arch === 'x86_64' && choice.accel === 'tcg' && tscKhz === undefined ? 'q35' : 'microvm';
  const keys = await readMachineKeys(paths);
  const guestConfig = buildGuestConfig(paths.name, config, keys);
  return {
    qemuPath,
    spec: {
      platform: process.platform,
      arch: config.arch,
      accel: choice.accel,
      machineType,
      ...(tscKhz === undefined ? {} : { tscKhz }),
      ...(image.kernelHz === undefined ? {} : { kernelHz: image.kernelHz }),
      name: paths.name,
      cpus: config.cpus,
      memoryMiB: config.memory,
      kernelPath: image.kernelPath,
      initrdPath: image.initrdPath,
      ...(image.rootDiskPath === undefined ? {} : { rootDiskPath: image.rootDiskPath }),
      kernelArgs: image.kernelArgs,
      dataDiskPath: paths.disk,
      portForwards: config.portForwards,
      mounts: guestConfig.mounts.map(({ tag, hostPath, writable }) => ({ tag, hostPath, writable })),
      guestConfigPath: paths.guestConfig,
      qmpSocketPath: paths.qmpSocket,
      serialLogPath: paths.serialLog,
    },
    guestConfig,
    ...timeouts(choice.accel),
  };
}

/** The agent's entry: compiled JS from dist/, or the TypeScript source through tsx (tests from src/). */
function agentCommand(machineDir: string): string[] {
  const js = fileURLToPath(new URL('../agent/main.js', import.meta.url));
  if (existsSync(js)) return [js, machineDir];
  return ['--import', 'tsx/esm', fileURLToPath(new URL('../agent/main.ts', import.meta.url)), machineDir];
}

function spawnAgent(paths: MachinePaths): Promise<{ exited: () => number | null }> {
  const log = openSync(paths.agentLog, 'a', 0o600);
  try {
    const child = spawn(process.execPath, agentCommand(paths.dir), { detached: true, stdio: ['ignore', log, log], env: process.env });
    let exitCode: number | null = null;
    let exited = false;
    child.on('exit', (code) => {
      exited = true;
      exitCode = code;
    });
    child.unref();
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve({ exited: () => (exited ? (exitCode ?? -1) : null) }));
    });
  } finally {
    closeSync(log);
  }
}

async function followStart(paths: MachinePaths, agent: { exited: () => number | null }, ui: StartUi): Promise<MachineState> {
  let shown: StartPhase | undefined;
  for (;;) {
    const state = await readStateFile(paths);
    if (state.state === 'running') return state;
    if (state.state === 'starting' && state.phase !== shown) {
      shown = state.phase;
      ui.info(`${PHASE_TEXT[state.phase]}${state.attempt > 1 ? ` (attempt ${state.attempt})` : ''}…`);
    }
    const code = agent.exited();
    if (code !== null) {
      const final = await readStateFile(paths);
      if (code === 5) throw new TsdError('conflict', `machine "${paths.name}" is already running`);
      const why = final.state === 'stopped' && final.lastError !== undefined ? final.lastError : `the host agent exited with code ${code}; see ${paths.agentLog}`;
      throw new TsdError('unavailable', `machine "${paths.name}" did not start: ${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

export interface StartResult {
  state: MachineState;
  cleaned: string[];
}

export async function startMachine(paths: MachinePaths, options: { setContext?: boolean }, ui: StartUi): Promise<StartResult> {
  const { state, agentPid, cleaned } = await observeMachine(paths);
  if (agentPid !== undefined) {
    throw new TsdError('conflict', `machine "${paths.name}" is already ${state.state === 'stopped' ? 'starting' : state.state}; \`tsd machine status ${paths.name}\` shows it`);
  }
  const launch = await plan(paths, ui);
  await writeJsonAtomic(paths.launch, launch);
  await writeJsonAtomic(paths.state, { state: 'stopped' } satisfies MachineState); // forget the last run's error
  const agent = await spawnAgent(paths);
  const running = await followStart(paths, agent, ui);
  await ensureDockerContext(paths.name, paths.dockerSocket, { setCurrent: options.setContext === true });
  return { state: running, cleaned };
}
