/**
 * What state is a machine really in? The agent's state.json says, but only while the agent's pid
 * is alive and ours. Otherwise whatever is left (pid files, sockets, a QEMU whose agent was
 * killed) is stale: it is cleaned up here, and the machine is reported stopped.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { MachinePaths } from './paths.js';
import { readJsonIfExists, writeJsonAtomic } from './atomic-file.js';
import { readLivePid } from './pid-file.js';
import { isMachineState, type MachineState } from './state.js';

export interface Observation {
  state: MachineState;
  /** The live agent's pid when the machine is not stopped. */
  agentPid?: number;
  /** Stale leftovers removed while observing (for a message to the user). */
  cleaned: string[];
}

export async function readStateFile(paths: MachinePaths): Promise<MachineState> {
  const value = await readJsonIfExists(paths.state).catch(() => undefined);
  return isMachineState(value) ? value : { state: 'stopped' };
}

export async function observeMachine(paths: MachinePaths): Promise<Observation> {
  const agent = await readLivePid(paths.agentPid, paths.dir);
  const recorded = await readStateFile(paths);
  if (agent !== undefined) {
    return { state: recorded, agentPid: agent.pid, cleaned: [] };
  }
  const cleaned = await cleanStale(paths);
  if (recorded.state !== 'stopped') {
    const lastError = 'the host agent ended unexpectedly; the machine was stopped';
    await writeJsonAtomic(paths.state, { state: 'stopped', lastError } satisfies MachineState);
    return { state: { state: 'stopped', lastError }, cleaned: [...cleaned, 'state.json'] };
  }
  return { state: recorded, cleaned };
}

/** Removes what a dead agent left behind; kills its QEMU if that one is still running. */
export async function cleanStale(paths: MachinePaths): Promise<string[]> {
  const cleaned: string[] = [];
  const qemu = await readLivePid(paths.qemuPid, paths.dir);
  if (qemu !== undefined) {
    process.kill(qemu.pid, 'SIGKILL');
    cleaned.push(`qemu (pid ${qemu.pid})`);
  }
  const leftovers = [paths.agentPid, paths.qemuPid, paths.qmpSocket, paths.controlSocket, paths.dockerSocket];
  for (const path of leftovers) {
    if (!path.startsWith('\\\\') && existsSync(path)) {
      await rm(path, { force: true });
      cleaned.push(path.slice(paths.dir.length + 1));
    }
  }
  return cleaned;
}
