/**
 * Step 2 of load → defaults → validate: a MachineFile → a complete MachineConfig.
 *
 * Defaults follow Lima and Colima: min(4, host CPUs) CPUs, 2 GiB of memory (half the host's
 * when that is less), a 60 GiB sparse data disk, the host's own architecture (so hardware
 * acceleration can be used), and the user's home directory and the system temp directory
 * shared writable at the same paths, so that `docker run -v $PWD:/src` works unchanged. A list given in the file, even an empty
 * one, replaces the default list; a key written without a value (`mounts:`) keeps the default.
 */
import path from 'node:path';
import type { MachineConfig, MountSpec, PortForwardSpec } from './machine-config.js';
import type { MachineFile, MountEntry, PortForwardEntry } from './machine-file.js';
import { currentHost, pathsOf, type HostInfo } from './host.js';
import { reservedGuestPath } from './validate-mounts.js';

export const DEFAULT_MEMORY_MIB = 2048;
export const DEFAULT_DISK_GIB = 60;
export const MAX_DEFAULT_CPUS = 4;
export const DEFAULT_HOST_IP = '127.0.0.1';
/** The guest runs Node daemons (init, containerd, dockerd): below this it cannot work. */
export const MIN_MEMORY_MIB = 512;

export function defaultMachineConfig(host: HostInfo = currentHost()): MachineConfig {
  return {
    arch: host.arch,
    accel: 'auto',
    cpus: Math.min(host.cpus, MAX_DEFAULT_CPUS),
    memory: defaultMemory(host),
    disk: DEFAULT_DISK_GIB,
    mounts: defaultMounts(host),
    portForwards: [],
    registryMirrors: [],
    insecureRegistries: [],
    dns: [],
    env: {},
    provision: [],
  };
}

export function applyDefaults(file: MachineFile, host: HostInfo = currentHost()): MachineConfig {
  const defaults = defaultMachineConfig(host);
  return {
    arch: file.arch ?? defaults.arch,
    accel: file.accel ?? defaults.accel,
    cpus: file.cpus ?? defaults.cpus,
    memory: file.memory ?? defaults.memory,
    disk: file.disk ?? defaults.disk,
    mounts: file.mounts ? file.mounts.map((entry) => resolveMount(entry, host)) : defaults.mounts,
    portForwards: (file.portForwards ?? defaults.portForwards).map(resolvePortForward),
    registryMirrors: [...(file.registryMirrors ?? defaults.registryMirrors)],
    insecureRegistries: [...(file.insecureRegistries ?? defaults.insecureRegistries)],
    dns: [...(file.dns ?? defaults.dns)],
    env: { ...(file.env ?? defaults.env) },
    provision: [...(file.provision ?? defaults.provision)],
  };
}

/** 2GiB, or half the host's memory when that is less (never below the 512MiB minimum). */
function defaultMemory(host: HostInfo): number {
  return Math.max(MIN_MEMORY_MIB, Math.min(DEFAULT_MEMORY_MIB, Math.floor(host.memoryMiB / 2)));
}

/**
 * Home and temp, writable. Temp is left out when it lies inside home (TMPDIR=~/tmp), and
 * either is left out when the guest reserves its path (HOME=/ in a container, or a home
 * under /var/lib): a default must never make a machine invalid.
 */
function defaultMounts(host: HostInfo): MountSpec[] {
  const paths = pathsOf(host);
  const inside = (a: string, b: string) => a === b || a.startsWith(b.endsWith(paths.sep) ? b : b + paths.sep);
  const usable = [host.homeDir, host.tempDir]
    .map((location) => resolveMount({ location }, host))
    .filter((mount) => mount.mountPoint.startsWith('/') && reservedGuestPath(mount.mountPoint) === undefined);
  const [home, temp] = usable;
  if (home && temp && inside(temp.location, home.location)) return [home];
  if (home && temp && inside(home.location, temp.location)) return [temp];
  return usable;
}

export function resolveMount(entry: MountEntry, host: HostInfo): MountSpec {
  const location = normalizeHostPath(expandHome(entry.location, host), host);
  return {
    location,
    mountPoint: entry.mountPoint === undefined ? guestPathFor(location, host) : normalizeGuestPath(entry.mountPoint),
    writable: entry.writable ?? true,
  };
}

function resolvePortForward(entry: PortForwardEntry): PortForwardSpec {
  return {
    guestPort: entry.guestPort,
    hostPort: entry.hostPort ?? entry.guestPort,
    hostIp: entry.hostIp ?? DEFAULT_HOST_IP,
    proto: entry.proto ?? 'tcp',
  };
}

/** "~" and "~/x" (also "~\x" on Windows) → the home directory; "~user" is left alone. */
export function expandHome(location: string, host: HostInfo): string {
  if (location === '~') return host.homeDir;
  const separators = host.platform === 'win32' ? ['~/', '~\\'] : ['~/'];
  if (separators.some((prefix) => location.startsWith(prefix))) {
    return pathsOf(host).join(host.homeDir, location.slice(2));
  }
  return location;
}

/** Absolute host paths normalized without a trailing separator; relative ones left for validate. */
function normalizeHostPath(location: string, host: HostInfo): string {
  const paths = pathsOf(host);
  if (!paths.isAbsolute(location)) return location;
  const normal = paths.normalize(location);
  return normal.length > paths.parse(normal).root.length ? normal.replace(/[\\/]+$/, '') : normal;
}

function normalizeGuestPath(mountPoint: string): string {
  if (!mountPoint.startsWith('/')) return mountPoint;
  const normal = path.posix.normalize(mountPoint);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

/**
 * Where a host folder appears in the guest: the same path, so that `-v $PWD:/src` works.
 * Windows paths become POSIX ones the way Git Bash writes them: C:\Users\me → /c/Users/me.
 */
export function guestPathFor(location: string, host: HostInfo): string {
  if (host.platform !== 'win32') return location;
  const drive = /^([A-Za-z]):[\\/]?(.*)$/.exec(location);
  const posix = drive ? `/${drive[1]!.toLowerCase()}/${drive[2]}` : location;
  return normalizeGuestPath(posix.replace(/\\/g, '/'));
}
