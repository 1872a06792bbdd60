/**
 * Where a machine's files live on the host. One function per fact so that the CLI, the agent
 * and the tests agree: `$TSD_HOME/machines/<name>/…` (TSD_HOME defaults to ~/.tsd).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';

export const DEFAULT_MACHINE = 'default';

/** Names end up in socket paths, pipe names and the docker context name: keep them tame. */
const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** Unix socket paths are limited to 104 bytes on macOS and 108 on Linux; stay under both. */
const MAX_SOCKET_PATH = 103;

export function tsdHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.TSD_HOME !== undefined && env.TSD_HOME !== '' ? env.TSD_HOME : join(homedir(), '.tsd');
}

export function machinesDir(env?: NodeJS.ProcessEnv): string {
  return join(tsdHome(env), 'machines');
}

export function validateMachineName(name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new TsdError(
      'invalid-argument',
      `invalid machine name "${name}": use 1-32 lowercase letters, digits and dashes, starting with a letter or digit`,
    );
  }
  return name;
}

export interface MachinePaths {
  name: string;
  dir: string;
  /** The machine file as created (the user's YAML, kept verbatim). */
  config: string;
  disk: string;
  sshDir: string;
  /** The host's client key (private) and the guest's host key (private, handed to the guest). */
  clientKey: string;
  clientPublicKey: string;
  hostKey: string;
  hostPublicKey: string;
  guestConfig: string;
  /** What the CLI decided (binary, argv, accel) for the agent to run. */
  launch: string;
  /** The agent's view of the machine, written atomically (see state.ts). */
  state: string;
  agentPid: string;
  qemuPid: string;
  qmpSocket: string;
  controlSocket: string;
  dockerSocket: string;
  serialLog: string;
  agentLog: string;
}

export function machinePaths(name: string, env?: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): MachinePaths {
  validateMachineName(name);
  return pathsIn(name, join(machinesDir(env), name), platform);
}

/** The same layout in another directory (a machine being created is assembled beside its final place). */
export function pathsIn(name: string, dir: string, platform: NodeJS.Platform = process.platform): MachinePaths {
  const sshDir = join(dir, 'ssh');
  const paths: MachinePaths = {
    name,
    dir,
    config: join(dir, 'machine.yaml'),
    disk: join(dir, 'disk.qcow2'),
    sshDir,
    clientKey: join(sshDir, 'id_ed25519'),
    clientPublicKey: join(sshDir, 'id_ed25519.pub'),
    hostKey: join(sshDir, 'host_ed25519'),
    hostPublicKey: join(sshDir, 'host_ed25519.pub'),
    guestConfig: join(dir, 'guest-config.json'),
    launch: join(dir, 'launch.json'),
    state: join(dir, 'state.json'),
    agentPid: join(dir, 'agent.pid'),
    qemuPid: join(dir, 'qemu.pid'),
    qmpSocket: join(dir, 'qmp.sock'),
    controlSocket: platform === 'win32' ? `\\\\.\\pipe\\tsd-${name}-agent` : join(dir, 'agent.sock'),
    dockerSocket: platform === 'win32' ? `\\\\.\\pipe\\tsd-${name}` : join(dir, 'docker.sock'),
    serialLog: join(dir, 'serial.log'),
    agentLog: join(dir, 'agent.log'),
  };
  if (platform !== 'win32') {
    for (const socket of [paths.qmpSocket, paths.controlSocket, paths.dockerSocket]) {
      if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
        throw new TsdError(
          'invalid-argument',
          `socket path too long (${Buffer.byteLength(socket)} bytes, limit ${MAX_SOCKET_PATH}): ${socket}; set TSD_HOME to a shorter directory`,
        );
      }
    }
  }
  return paths;
}

/** The docker context tsd creates for a machine. */
export function dockerContextName(name: string): string {
  return `tsd-${name}`;
}

/** How a Docker client addresses the machine's socket (DOCKER_HOST form). */
export function dockerHost(socketPath: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? `npipe://${socketPath.replaceAll('\\', '/')}` : `unix://${socketPath}`;
}
