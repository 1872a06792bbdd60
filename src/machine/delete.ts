/** `tsd machine delete`: refuses a running machine unless forced; removes its docker context and directory. */
import { rm } from 'node:fs/promises';
import { TsdError } from '../../guest/api/errors.js';
import { removeDockerContext } from '../docker-context/docker-context.js';
import { observeMachine } from './observe.js';
import { stopMachine } from './stop.js';
import { requireMachine } from './status.js';

export async function deleteMachine(name: string, options: { force?: boolean } = {}): Promise<void> {
  const paths = requireMachine(name);
  const { agentPid } = await observeMachine(paths);
  if (agentPid !== undefined) {
    if (options.force !== true) {
      throw new TsdError('conflict', `machine "${name}" is running; stop it first (\`tsd machine stop ${name}\`) or pass --force`);
    }
    await stopMachine(paths, { force: true });
  }
  await removeDockerContext(name);
  await rm(paths.dir, { recursive: true, force: true });
}
