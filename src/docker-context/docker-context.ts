/**
 * The docker context "tsd-<machine>" that points the docker CLI (and compose, and editors that
 * follow the current context) at a machine's socket. Written straight into the docker CLI's
 * context store, so that no docker CLI is needed; the files are what `docker context create`
 * writes. The user's current context changes only when asked (setCurrent).
 */
import { mkdir, readFile, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import { writeFileAtomic } from '../machine/atomic-file.js';
import { contextMeta, contextPaths, dockerConfigDir, dockerContextName, dockerEndpoint } from './context-store.js';

export interface DockerContextOptions {
  /** Make the context the docker CLI's current one (config.json "currentContext"). */
  setCurrent?: boolean;
  /** The docker config dir; default $DOCKER_CONFIG or ~/.docker. */
  configDir?: string;
}

/** Creates or updates the context tsd-<name> → socketPath. */
export async function ensureDockerContext(name: string, socketPath: string, opts: DockerContextOptions = {}): Promise<void> {
  const contextName = dockerContextName(name);
  const configDir = opts.configDir ?? dockerConfigDir();
  const meta = contextMeta(contextName, name, dockerEndpoint(socketPath));
  const { metaDir, metaFile } = contextPaths(configDir, contextName);
  await mkdir(metaDir, { recursive: true, mode: 0o755 });
  await writeFileAtomic(metaFile, JSON.stringify(meta), 0o644);
  if (opts.setCurrent) await updateCurrentContext(configDir, () => contextName);
}

/**
 * Removes the context tsd-<name> (nothing to do when it does not exist). If it was the current
 * context, the current context falls back to docker's default, as `docker context rm -f` does:
 * a current context that no longer exists would break every docker command.
 */
export async function removeDockerContext(name: string, opts: Pick<DockerContextOptions, 'configDir'> = {}): Promise<void> {
  const contextName = dockerContextName(name);
  const configDir = opts.configDir ?? dockerConfigDir();
  const { metaDir, tlsDir } = contextPaths(configDir, contextName);
  await updateCurrentContext(configDir, (current) => (current === contextName ? undefined : current));
  await rm(metaDir, { recursive: true, force: true });
  await rm(tlsDir, { recursive: true, force: true });
}

/**
 * Rewrites config.json's currentContext, keeping every other key (auths, credsStore…) as it
 * was. A symlinked config.json is written through the link, as the docker CLI does.
 */
async function updateCurrentContext(configDir: string, change: (current: string | undefined) => string | undefined): Promise<void> {
  const file = await resolveLink(path.join(configDir, 'config.json'));
  const config = await readConfig(file);
  const current = typeof config['currentContext'] === 'string' ? config['currentContext'] : undefined;
  const next = change(current);
  if (next === current) return;
  if (next === undefined) delete config['currentContext'];
  else config['currentContext'] = next;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(config, null, '\t')}\n`, 0o600);
}

async function readConfig(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw new TsdError('invalid-argument', `${file} is not valid JSON; fix or remove it, then try again`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TsdError('invalid-argument', `${file} is not a JSON object; fix or remove it, then try again`);
  }
  return parsed as Record<string, unknown>;
}

async function resolveLink(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch {
    return file; // not there yet (or a dangling link's target is not there): write the path itself
  }
}
