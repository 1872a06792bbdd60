/**
 * The services the init supervises and how they are started. The SSH server gets its keys as
 * files in /run/tsd/ssh (RAM, 0600); the engine gets the registry settings as flags.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GuestConfig } from '../api/guest-config.js';
import { GUEST_DATA_MOUNT, GUEST_DOCKER_SOCKET, GUEST_NODE_PATH, GUEST_SSH_PORT, GUEST_TSD_DIR } from '../api/guest-layout.js';
import { ENV_JSON_PATH } from './environment.js';
import type { ReadinessCheck } from './readiness.js';
import type { ServiceSpec } from './supervisor.js';

export const SSH_DIR = '/run/tsd/ssh';

export interface ServicePaths {
  node: string;
  bundleDir: string;
  sshDir: string;
}

export const GUEST_SERVICE_PATHS: ServicePaths = { node: GUEST_NODE_PATH, bundleDir: GUEST_TSD_DIR, sshDir: SSH_DIR };

/** The SSH server: needs only the keys and the env file, so it starts before the data disk. */
export function sshdSpec(config: GuestConfig, env: NodeJS.ProcessEnv, paths: ServicePaths = GUEST_SERVICE_PATHS): ServiceSpec {
  return serviceSpecs(config, env, paths).find((spec) => spec.name === 'sshd')!;
}

/** The engine: needs the data disk (its data root) and the engine's kernel modules. */
export function engineSpecs(config: GuestConfig, env: NodeJS.ProcessEnv, paths: ServicePaths = GUEST_SERVICE_PATHS): ServiceSpec[] {
  return serviceSpecs(config, env, paths).filter((spec) => spec.name !== 'sshd');
}

export function serviceSpecs(config: GuestConfig, env: NodeJS.ProcessEnv, paths: ServicePaths = GUEST_SERVICE_PATHS): ServiceSpec[] {
  const dockerdArgs = [
    '--socket', GUEST_DOCKER_SOCKET,
    '--data-root', `${GUEST_DATA_MOUNT}/docker`,
    ...config.registryMirrors.flatMap((mirror) => ['--registry-mirror', mirror]),
    ...config.insecureRegistries.flatMap((registry) => ['--insecure-registry', registry]),
  ];
  return [
    {
      name: 'sshd',
      argv: [
        paths.node, join(paths.bundleDir, 'sshd.mjs'),
        '--host-key', join(paths.sshDir, 'host_key'),
        '--authorized-keys', join(paths.sshDir, 'authorized_keys'),
        '--env-file', ENV_JSON_PATH,
        '--port', String(GUEST_SSH_PORT),
      ],
      env,
    },
    { name: 'dockerd', argv: [paths.node, join(paths.bundleDir, 'dockerd.mjs'), ...dockerdArgs], env },
  ];
}

export async function writeSshFiles(config: GuestConfig, sshDir = SSH_DIR): Promise<void> {
  await mkdir(sshDir, { recursive: true, mode: 0o700 });
  await writeFile(join(sshDir, 'host_key'), config.hostKey.endsWith('\n') ? config.hostKey : `${config.hostKey}\n`, { mode: 0o600 });
  await writeFile(join(sshDir, 'authorized_keys'), config.authorizedKeys.join('\n') + '\n', { mode: 0o600 });
}

/** What "ready" means: the SSH port accepts connections and the Engine API socket too. */
export function serviceReadiness(logDir: string): ReadinessCheck[] {
  return [
    { description: `ssh on port ${GUEST_SSH_PORT}`, target: { host: '127.0.0.1', port: GUEST_SSH_PORT }, hint: join(logDir, 'sshd.log') },
    { description: `Engine API on ${GUEST_DOCKER_SOCKET}`, target: { path: GUEST_DOCKER_SOCKET }, hint: join(logDir, 'dockerd.log') },
  ];
}
