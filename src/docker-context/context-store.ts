/**
 * Docker CLI's context store, as the docker CLI lays it out (cli/context/store):
 *
 *   $DOCKER_CONFIG (default ~/.docker)
 *     config.json                                  {"currentContext": "<name>", …}
 *     contexts/meta/<sha256 hex of name>/meta.json {"Name", "Metadata", "Endpoints"}
 *     contexts/tls/<sha256 hex of name>/…          TLS material (tsd writes none)
 *
 * Pure layout and formats here; reading and writing is in docker-context.ts.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { TsdError } from '../../guest/api/errors.js';

/** Machine names that make a valid docker context name (the CLI's store.ValidateContextName). */
const MACHINE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/;

/** The meta.json of one context, with the docker endpoint only. */
export interface ContextMeta {
  Name: string;
  Metadata: { Description: string };
  Endpoints: { docker: { Host: string; SkipTLSVerify: boolean } };
}

/** The docker context of machine `machine`: "tsd-<machine>". */
export function dockerContextName(machine: string): string {
  if (!MACHINE_NAME.test(machine)) {
    throw new TsdError(
      'invalid-argument',
      `cannot name a docker context after machine ${JSON.stringify(machine)}: use letters, digits and "_", ".", "+", "-", starting with a letter or digit`,
    );
  }
  return `tsd-${machine}`;
}

/** Where the docker CLI keeps its configuration: $DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  return env['DOCKER_CONFIG'] || path.join(home, '.docker');
}

/** Paths of one context's files under a docker config dir. */
export function contextPaths(configDir: string, contextName: string): { metaDir: string; metaFile: string; tlsDir: string } {
  const id = createHash('sha256').update(contextName).digest('hex');
  const metaDir = path.join(configDir, 'contexts', 'meta', id);
  return { metaDir, metaFile: path.join(metaDir, 'meta.json'), tlsDir: path.join(configDir, 'contexts', 'tls', id) };
}

/**
 * The docker endpoint for the machine's socket: unix:///path, or npipe:////./pipe/name for a
 * Windows named pipe (\\.\pipe\name), the form Docker Desktop's own context uses.
 */
export function dockerEndpoint(socketPath: string): string {
  const pipe = /^[\\/]{2}\.[\\/]pipe[\\/](.+)$/.exec(socketPath);
  if (pipe) return `npipe:////./pipe/${pipe[1]}`;
  if (!path.posix.isAbsolute(socketPath)) {
    throw new TsdError('invalid-argument', `docker socket path must be absolute or a named pipe (\\\\.\\pipe\\NAME), got ${JSON.stringify(socketPath)}`);
  }
  return `unix://${socketPath}`;
}

export function contextMeta(contextName: string, machine: string, endpoint: string): ContextMeta {
  return {
    Name: contextName,
    Metadata: { Description: `tsd machine ${machine}` },
    Endpoints: { docker: { Host: endpoint, SkipTLSVerify: false } },
  };
}
