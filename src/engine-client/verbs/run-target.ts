/**
 * The machine side of `tsd run` options: which machine's shares the bind mounts are checked
 * against. A machine's engine (the default) checks its machine file; TSD_ENGINE_SOCKET engines
 * check none unless TSD_ENGINE_MACHINE names a machine whose shares apply.
 */
import { readFile } from 'node:fs/promises';
import { TsdError } from '../../../guest/api/errors.js';
import { loadMachineConfig } from '../../config/load.js';
import { machinePaths } from '../../machine/paths.js';
import type { EngineTarget } from '../engine-target.js';
import { mapBindsToGuest } from './bind-mounts.js';

export const ENGINE_MACHINE_ENV = 'TSD_ENGINE_MACHINE';

export async function bindsForTarget(binds: string[] | undefined, sources: string[], target: EngineTarget, env: NodeJS.ProcessEnv): Promise<string[] | undefined> {
  if (binds === undefined || sources.length === 0) return binds;
  const machine = target.machine ?? (env[ENGINE_MACHINE_ENV] || undefined);
  if (machine === undefined) return binds;
  const paths = machinePaths(machine);
  const config = await loadMachineConfig(paths.config);
  return mapBindsToGuest(binds, sources, { machine, configPath: paths.config, mounts: config.mounts });
}

/** Lines of the --env-file files. */
export async function readEnvFiles(files: string[]): Promise<string[]> {
  const texts = await Promise.all(
    files.map((file) =>
      readFile(file, 'utf8').catch((error: Error) => {
        throw new TsdError('invalid-argument', `--env-file ${file}: ${error.message}`, { cause: error });
      }),
    ),
  );
  return texts.flatMap((text) => text.split(/\r?\n/));
}
