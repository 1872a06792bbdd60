/**
 * The machine's lifecycle as the host agent reports it: stopped → starting → running → stopping
 * → stopped. A discriminated union, so each state carries only the facts that are true in it.
 * The agent writes it to state.json atomically; the CLI reads it, but trusts a non-stopped state
 * only while the agent's pid is alive and ours (see observe.ts).
 */
import type { GuestArch } from '../image/guest-image.js';

export type RunningAccel = 'hvf' | 'whpx' | 'kvm' | 'tcg';

/** The named steps of a start, in order; shown to the user while waiting. */
export const START_PHASES = ['qemu', 'boot', 'engine'] as const;
export type StartPhase = (typeof START_PHASES)[number];

export interface StoppedState {
  state: 'stopped';
  /** Why the last start or run ended badly, when it did. */
  lastError?: string;
}

export interface StartingState {
  state: 'starting';
  phase: StartPhase;
  /** 1, or 2 on the retry after a boot timeout. */
  attempt: number;
  accel: RunningAccel;
  arch: GuestArch;
  sshPort: number;
}

/** Milliseconds from QEMU's spawn to each step (the benchmark reads them from state.json). */
export interface BootTimings {
  qmp: number;
  /** First byte on the serial console (about when the kernel starts); -1 if none was seen. */
  console: number;
  ssh: number;
  engine: number;
}

export interface RunningState {
  state: 'running';
  accel: RunningAccel;
  arch: GuestArch;
  sshPort: number;
  /** Wall clock (ms since the epoch) when the machine became ready. */
  startedAtMs: number;
  /** The successful boot attempt's timings, and which attempt it was. */
  timings?: BootTimings;
  attempt?: number;
}

export interface StoppingState {
  state: 'stopping';
  accel: RunningAccel;
  arch: GuestArch;
  sshPort: number;
  startedAtMs: number;
}

export type MachineState = StoppedState | StartingState | RunningState | StoppingState;
export type MachineStateName = MachineState['state'];

/** Which states may follow which; the agent asserts every write against this table. */
const NEXT: Record<MachineStateName, readonly MachineStateName[]> = {
  stopped: ['starting'],
  starting: ['starting', 'running', 'stopping', 'stopped'],
  running: ['stopping', 'stopped'],
  stopping: ['stopped'],
};

export function canTransition(from: MachineStateName, to: MachineStateName): boolean {
  return NEXT[from].includes(to);
}

export function isMachineState(value: unknown): value is MachineState {
  const state = (value as { state?: unknown } | undefined)?.state;
  return state === 'stopped' || state === 'starting' || state === 'running' || state === 'stopping';
}
