/**
 * Which engine the docker verbs talk to. `TSD_ENGINE_SOCKET` (a unix socket path) points them at
 * any Docker-compatible engine — Debian's dockerd in tests, a host-mode engine. Otherwise they use
 * the default machine's socket, creating and starting the machine first when needed (DESIGN.md:
 * `tsd run …` starts the default machine when it is not running).
 */
import { existsSync } from 'node:fs';
import { TsdError } from '../../guest/api/errors.js';
import { createMachine } from '../machine/create.js';
import { DEFAULT_MACHINE, machinePaths } from '../machine/paths.js';
import { startMachine, type StartUi } from '../machine/start.js';
import { machineStatus } from '../machine/status.js';
import { EngineClient } from './engine-client.js';

export const ENGINE_SOCKET_ENV = 'TSD_ENGINE_SOCKET';

export interface EngineTarget {
  socketPath: string;
  /** The machine behind it; undefined when TSD_ENGINE_SOCKET chose the engine. */
  machine: string | undefined;
}

export async function resolveEngineTarget(ui: StartUi, env: NodeJS.ProcessEnv = process.env): Promise<EngineTarget> {
  const explicit = env[ENGINE_SOCKET_ENV];
  if (explicit !== undefined && explicit !== '') return { socketPath: explicit.replace(/^unix:\/\//, ''), machine: undefined };
  const paths = machinePaths(DEFAULT_MACHINE);
  if (!existsSync(paths.config)) {
    await createMachine(DEFAULT_MACHINE);
    ui.info(`created machine "${DEFAULT_MACHINE}" with the defaults`);
  }
  const status = await machineStatus(DEFAULT_MACHINE);
  if (status.state === 'running') return { socketPath: status.dockerSocket, machine: DEFAULT_MACHINE };
  if (status.state !== 'stopped') {
    throw new TsdError('unavailable', `machine "${DEFAULT_MACHINE}" is ${status.state}; try again when \`tsd machine status\` says running`);
  }
  ui.info(`starting machine "${DEFAULT_MACHINE}"`);
  await startMachine(paths, {}, ui);
  return { socketPath: paths.dockerSocket, machine: DEFAULT_MACHINE };
}

export async function connectEngine(ui: StartUi, env: NodeJS.ProcessEnv = process.env): Promise<{ client: EngineClient; target: EngineTarget }> {
  const target = await resolveEngineTarget(ui, env);
  return { client: await EngineClient.connect(target.socketPath), target };
}
