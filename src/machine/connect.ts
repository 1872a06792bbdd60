/** An SSH connection to a running machine, for the CLI (ssh, logs). */
import { TsdError } from '../../guest/api/errors.js';
import { GuestSsh } from '../ssh/client.js';
import { readMachineKeys } from '../ssh/keys.js';
import { observeMachine } from './observe.js';
import type { MachinePaths } from './paths.js';

export async function connectToMachine(paths: MachinePaths): Promise<GuestSsh> {
  const { state } = await observeMachine(paths);
  if (state.state !== 'running') {
    throw new TsdError('conflict', `machine "${paths.name}" is ${state.state}; start it with \`tsd machine start ${paths.name}\``);
  }
  return GuestSsh.connect({ port: state.sshPort, keys: await readMachineKeys(paths) });
}
