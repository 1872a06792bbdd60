/**
 * What the Engine API server is told at start. `EngineConfig` (config/engine-config.ts) is the
 * full form main.ts builds from flags and daemon.json; `EngineOptions` is the short form older
 * callers and tests pass (socket, data root, registries), completed with defaults.
 */
import { DEFAULT_CONFIG, type EngineConfig } from './config/engine-config.js';
import { join } from 'node:path';

export interface EngineOptions extends Partial<Omit<EngineConfig, 'hosts'>> {
  /** Unix socket to listen on. */
  socketPath: string;
  /** Where engine state lives (DockerRootDir); the engine ID is kept here. */
  dataRoot: string;
  registryMirrors: string[];
  insecureRegistries: string[];
}

/** The full configuration for a short-form options object: exec root beside the data root. */
export function configFromOptions(options: EngineOptions): EngineConfig {
  const { socketPath, ...rest } = options;
  return { ...DEFAULT_CONFIG, execRoot: join(options.dataRoot, 'exec'), ...rest, hosts: [`unix://${socketPath}`] };
}

/** The server's release, reported by /version and /info. Kept equal to package.json's version (a unit test checks). */
export const TSD_VERSION = '0.1.0';
