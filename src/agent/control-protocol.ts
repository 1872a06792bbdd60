/**
 * The agent's control socket (agent.sock, or a named pipe on Windows): one JSON request per
 * connection, one JSON answer, then close. The CLI uses it to ask for status and to stop.
 */
import type { MachineState } from '../machine/state.js';

export type ControlRequest = { op: 'status' } | { op: 'stop'; force?: boolean };

export type ControlResponse =
  | { ok: true; state: MachineState }
  | { ok: false; error: string };
