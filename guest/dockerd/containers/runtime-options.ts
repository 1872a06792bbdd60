/**
 * Which OCI runtime containers run under, where their cgroups go and which init binary --init
 * mounts. Read from the environment of dockerd (host mode sets them), with defaults for the guest:
 *   TSD_CONTAINER_RUNTIME   containerd runtime name; default io.containerd.tsd.v2 when its shim
 *                           (containerd-shim-tsd-v2) is on PATH, in the project's bin/ beside this
 *                           bundle (host mode) or under /opt/tsd (guest), else io.containerd.runc.v2
 *   TSD_RUNC_BINARY         BinaryName for runc shims (e.g. bin/tsd-runc); default: the shim's own
 *   TSD_CGROUP_PARENT       default "/tsd-docker" (Docker's is "/docker")
 *   TSD_INIT_PATH           default: the first of tini-static, docker-init, tini found
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { GUEST_TSD_DIR } from '../../api/guest-layout.js';

export const TSD_RUNTIME = 'io.containerd.tsd.v2';
export const RUNC_RUNTIME = 'io.containerd.runc.v2';

export interface RuntimeOptions {
  runtime: string;
  runcBinary?: string;
  cgroupParent: string;
  initPath?: string;
}

export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of ['/usr/bin', '/usr/local/bin', '/usr/libexec/docker', '/sbin', '/usr/sbin', ...path.split(delimiter)]) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Where tsd's own shim may live besides PATH: bin/ of the project a bundle or source runs from, the guest's /opt/tsd. */
function tsdShimDirs(): string[] {
  const script = process.argv[1] ? dirname(resolve(process.argv[1])) : '';
  return [join(script, '..', '..', 'bin'), join(script, '..', '..', '..', 'bin'), GUEST_TSD_DIR, join(GUEST_TSD_DIR, 'bin')];
}

export function runtimeOptions(env: NodeJS.ProcessEnv = process.env): RuntimeOptions {
  const ownShim = findOnPath('containerd-shim-tsd-v2', [env.PATH ?? '', ...tsdShimDirs()].join(delimiter));
  const runtime = env.TSD_CONTAINER_RUNTIME || (ownShim ? TSD_RUNTIME : RUNC_RUNTIME);
  return {
    runtime,
    runcBinary: env.TSD_RUNC_BINARY || undefined,
    cgroupParent: env.TSD_CGROUP_PARENT || '/tsd-docker',
    initPath: env.TSD_INIT_PATH || findOnPath('tini-static') || findOnPath('docker-init') || findOnPath('tini'),
  };
}
