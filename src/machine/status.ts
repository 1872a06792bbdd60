/**
 * `tsd machine status` and `list`: the shape other tools rely on (DESIGN.md), exactly
 * {name, state, accel, arch, cpus, memory, dockerSocket, sshPort, uptimeSeconds}.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { TsdError } from '../../guest/api/errors.js';
import { loadMachineConfig } from '../config/load.js';
import type { Accel } from '../config/machine-config.js';
import type { GuestArch } from '../image/guest-image.js';
import { observeMachine } from './observe.js';
import { machinePaths, machinesDir, validateMachineName, type MachinePaths } from './paths.js';
import type { MachineStateName } from './state.js';

export interface MachineStatus {
  name: string;
  state: MachineStateName;
  /** The accelerator in use while not stopped; the configured one (maybe "auto") when stopped. */
  accel: Accel;
  arch: GuestArch;
  cpus: number;
  /** MiB. */
  memory: number;
  dockerSocket: string;
  /** The 127.0.0.1 port forwarded to the guest's SSH server; null when stopped. */
  sshPort: number | null;
  /** Seconds since the machine became ready; null unless running. */
  uptimeSeconds: number | null;
}

export function requireMachine(name: string): MachinePaths {
  const paths = machinePaths(name);
  if (!existsSync(paths.config)) {
    throw new TsdError('not-found', `no machine named "${name}"; create it with \`tsd machine create ${name}\``);
  }
  return paths;
}

export async function machineStatus(name: string): Promise<MachineStatus & { lastError?: string; cleaned: string[] }> {
  const paths = requireMachine(name);
  const config = await loadMachineConfig(paths.config);
  const { state, cleaned } = await observeMachine(paths);
  const live = state.state === 'stopped' ? undefined : state;
  const status: MachineStatus = {
    name,
    state: state.state,
    accel: live?.accel ?? config.accel,
    arch: live?.arch ?? config.arch,
    cpus: config.cpus,
    memory: config.memory,
    dockerSocket: paths.dockerSocket,
    sshPort: live?.sshPort ?? null,
    uptimeSeconds: state.state === 'running' ? Math.max(0, Math.floor((Date.now() - state.startedAtMs) / 1000)) : null,
  };
  return state.state === 'stopped' && state.lastError !== undefined ? { ...status, lastError: state.lastError, cleaned } : { ...status, cleaned };
}

/** Only the public shape (for --json). */
export function publicStatus(status: MachineStatus): MachineStatus {
  const { name, state, accel, arch, cpus, memory, dockerSocket, sshPort, uptimeSeconds } = status;
  return { name, state, accel, arch, cpus, memory, dockerSocket, sshPort, uptimeSeconds };
}

export async function machineNames(): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(machinesDir());
  } catch {
    return [];
  }
  return entries.filter((entry) => !entry.startsWith('.') && existsSync(machinePaths(safeName(entry)).config)).sort();
}

function safeName(entry: string): string {
  try {
    return validateMachineName(entry);
  } catch {
    return 'invalid-name-skipped';
  }
}
