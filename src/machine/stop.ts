/**
 * `tsd machine stop`: ask the agent (control socket; SIGTERM if it does not answer), then wait
 * for it to finish its shutdown (ACPI powerdown → quit → kill). An agent that does not finish in
 * time is killed and its leftovers cleaned.
 */
import { sendControl } from '../agent/control-client.js';
import { cleanStale, observeMachine } from './observe.js';
import type { MachinePaths } from './paths.js';
import { readLivePid } from './pid-file.js';

/** Longer than the agent's own shutdown steps (powerdown timeout + quit + kill). */
const STOP_WAIT_MS = 60_000;

export interface StopResult {
  wasRunning: boolean;
  /** Seconds from the request to the agent's exit. */
  seconds: number;
}

export async function stopMachine(paths: MachinePaths, options: { force?: boolean } = {}): Promise<StopResult> {
  const started = Date.now();
  const { agentPid } = await observeMachine(paths);
  if (agentPid === undefined) return { wasRunning: false, seconds: 0 };
  try {
    await sendControl(paths.controlSocket, { op: 'stop', force: options.force === true });
  } catch {
    process.kill(agentPid, 'SIGTERM');
  }
  while ((await readLivePid(paths.agentPid, paths.dir)) !== undefined) {
    if (Date.now() - started > STOP_WAIT_MS) {
      process.kill(agentPid, 'SIGKILL');
      await cleanStale(paths);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { wasRunning: true, seconds: (Date.now() - started) / 1000 };
}
