/**
 * The services the init supervises and how they are started: the SSH server, then the engine —
 * containerd, and dockerd on top of it. The SSH server gets its keys as files in /run/tsd/ssh
 * (RAM, 0600); dockerd gets a daemon.json generated from the machine file (registry mirrors,
 * insecure registries, DNS, data root on the data disk) and the containerd socket as a flag.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { GuestConfig } from '../api/guest-config.js';
import { GUEST_CONTAINERD_SOCKET, GUEST_DATA_MOUNT, GUEST_DOCKER_SOCKET, GUEST_NODE_PATH, GUEST_SSH_PORT, GUEST_TSD_DIR, SLIRP } from '../api/guest-layout.js';
import { ENV_JSON_PATH } from './environment.js';
import type { ReadinessCheck } from './readiness.js';
import type { ServiceSpec } from './supervisor.js';

export const SSH_DIR = '/run/tsd/ssh';
/** containerd's places, as Docker's own packaging sets them. */
export const CONTAINERD_SOCKET = GUEST_CONTAINERD_SOCKET;
export const CONTAINERD_ROOT = `${GUEST_DATA_MOUNT}/containerd`;
export const CONTAINERD_STATE = '/run/containerd';
export const DAEMON_JSON_PATH = '/etc/docker/daemon.json';

export interface ServicePaths {
  node: string;
  bundleDir: string;
  sshDir: string;
  daemonJson: string;
}

export const GUEST_SERVICE_PATHS: ServicePaths = { node: GUEST_NODE_PATH, bundleDir: GUEST_TSD_DIR, sshDir: SSH_DIR, daemonJson: DAEMON_JSON_PATH };

/**
 * sshd.cjs runs the server with the V8 code cache the image builder made beside it (sshd starts before
 * the data disk, where the other daemons keep their compile cache); sshd.mjs when the build has none.
 */
function sshdBundle(bundleDir: string): string {
  const cached = join(bundleDir, 'sshd.cjs');
  return existsSync(cached) ? cached : join(bundleDir, 'sshd.mjs');
}

/** The SSH server: needs only the keys and the env file, so it starts before the data disk. */
export function sshdSpec(env: NodeJS.ProcessEnv, paths: ServicePaths = GUEST_SERVICE_PATHS): ServiceSpec {
  return {
    name: 'sshd',
    argv: [
      paths.node, sshdBundle(paths.bundleDir),
      '--host-key', join(paths.sshDir, 'host_key'),
      '--authorized-keys', join(paths.sshDir, 'authorized_keys'),
      '--env-file', ENV_JSON_PATH,
      '--port', String(GUEST_SSH_PORT),
    ],
    env,
  };
}

/**
 * The engine, in start order: containerd, then dockerd (which connects to it). Both need the data
 * disk. At shutdown the supervisor stops them in reverse order, dockerd first; the shims stay
 * until the init's final kill, so running containers lose nothing to the engine's stop.
 */
export function engineSpecs(env: NodeJS.ProcessEnv, paths: ServicePaths = GUEST_SERVICE_PATHS): ServiceSpec[] {
  return [
    {
      name: 'containerd',
      argv: [paths.node, join(paths.bundleDir, 'containerd.mjs'), '--address', CONTAINERD_SOCKET, '--root', CONTAINERD_ROOT, '--state', CONTAINERD_STATE],
      env,
    },
    {
      name: 'dockerd',
      argv: [paths.node, join(paths.bundleDir, 'dockerd.mjs'), '--config-file', paths.daemonJson, '--containerd', CONTAINERD_SOCKET],
      env,
    },
  ];
}

/** daemon.json for the guest's dockerd, from the machine file (pure: tested). */
export function daemonJson(config: GuestConfig): Record<string, unknown> {
  return {
    hosts: [`unix://${GUEST_DOCKER_SOCKET}`],
    'data-root': `${GUEST_DATA_MOUNT}/docker`,
    'registry-mirrors': config.registryMirrors,
    'insecure-registries': config.insecureRegistries,
    // the machine file's `dns`, else QEMU's DNS forwarder: containers reach it through the engine's NAT, as the guest does
    dns: config.dns?.length ? config.dns : [SLIRP.dns],
    // the guest's containers outlive a restart of its dockerd (the init restarts it after a crash)
    'live-restore': true,
  };
}

export async function writeDaemonJson(config: GuestConfig, path = DAEMON_JSON_PATH): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(daemonJson(config), null, 2)}\n`, { mode: 0o644 });
}

export async function writeSshFiles(config: GuestConfig, sshDir = SSH_DIR): Promise<void> {
  await mkdir(sshDir, { recursive: true, mode: 0o700 });
  await writeFile(join(sshDir, 'host_key'), config.hostKey.endsWith('\n') ? config.hostKey : `${config.hostKey}\n`, { mode: 0o600 });
  await writeFile(join(sshDir, 'authorized_keys'), config.authorizedKeys.join('\n') + '\n', { mode: 0o600 });
}

/**
 * What "ready" means: the SSH port and the Engine API socket accept connections. containerd is
 * not waited for: dockerd answers /_ping, /version and /info without it and connects when it is up.
 */
export function serviceReadiness(logDir: string): ReadinessCheck[] {
  return [
    { description: `ssh on port ${GUEST_SSH_PORT}`, target: { host: '127.0.0.1', port: GUEST_SSH_PORT }, hint: join(logDir, 'sshd.log') },
    { description: `Engine API on ${GUEST_DOCKER_SOCKET}`, target: { path: GUEST_DOCKER_SOCKET }, hint: join(logDir, 'dockerd.log') },
  ];
}
