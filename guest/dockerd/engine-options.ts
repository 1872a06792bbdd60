/** What the Engine API server is told at start (command-line flags of guest/dockerd/main.ts). */
export interface EngineOptions {
  /** Unix socket to listen on. */
  socketPath: string;
  /** Where engine state lives (DockerRootDir); the engine ID is kept here. */
  dataRoot: string;
  registryMirrors: string[];
  insecureRegistries: string[];
}

/** The server's release, reported by /version and /info. Kept equal to package.json's version (a unit test checks). */
export const TSD_VERSION = '0.1.0';
