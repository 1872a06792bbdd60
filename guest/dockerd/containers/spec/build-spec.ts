/**
 * One container's OCI runtime spec from its stored Config and HostConfig plus what the engine
 * resolved around them (user ids from the rootfs, host paths of volumes and the etc files, the
 * network namespace to join). Pure: everything it needs comes in the input.
 */
import { TsdError } from '../../../api/errors.js';
import type { CapabilityName, LinuxNamespace, Mount, Spec } from '../../../api/oci-runtime-spec.js';
import type { ContainerConfig, HostConfig } from '../docker-types.js';
import { capabilitySets, resolveCapabilities } from './capabilities.js';
import type { ContainerDevices } from './devices.js';
import { baseMounts, defaultDeviceRules, MASKED_PATHS, READONLY_PATHS } from './docker-defaults.js';
import { containerArgs, mergeEnv, processEnv } from './process-args.js';
import { linuxResources, rlimits } from './resources.js';
import { parseProfile, profileToOci, type SeccompProfile } from './seccomp-profile.js';
import { parseSecurityOpts } from './security-opt.js';
import type { ResolvedUser } from './user.js';

/** Where the container's init binary is mounted, as in Docker. */
export const INIT_DESTINATION = '/sbin/docker-init';

export interface SpecInput {
  id: string;
  config: ContainerConfig;
  host: HostConfig;
  user: ResolvedUser;
  /** User mounts already resolved to OCI mounts (volumes → host paths). */
  mounts: Mount[];
  /** Host paths of the generated files; absent ones are not mounted (e.g. host networking's resolv.conf). */
  etcFiles: { hostname?: string; hosts?: string; resolvConf?: string };
  /** The cgroup for the container, e.g. "/tsd-docker/<id>". */
  cgroupsPath: string;
  /** Private cgroup namespace (Docker's default on cgroup v2 hosts only). */
  cgroupNamespace: boolean;
  /** Namespace paths to join instead of creating: container:<id> modes resolved by the engine. */
  joinNamespaces?: Partial<Record<'network' | 'ipc' | 'pid', string>>;
  /** Host path of a static init (tini) for HostConfig.Init. */
  initPath?: string;
  /** Node's process.arch of the engine. */
  arch: string;
  /** Every capability the engine can grant (its bounding set); default: all Linux defines. */
  allCapabilities?: readonly CapabilityName[];
  /** HostConfig.Devices read from the host: nodes to make and the cgroup rules allowing them. */
  devices?: ContainerDevices;
  /** The default seccomp profile; absent means "no filter" when none is asked for. */
  defaultSeccomp?: SeccompProfile;
}

export function buildSpec(input: SpecInput): Spec {
  const { config, host } = input;
  const privileged = !!host.Privileged;
  const security = parseSecurityOpts(host.SecurityOpt ?? []);
  const caps = resolveCapabilities(host.CapAdd ?? [], host.CapDrop ?? [], privileged, input.allCapabilities);
  const hostname = config.Hostname || input.id.slice(0, 12);

  let args = containerArgs(config);
  const mounts: Mount[] = baseMounts({ shmSize: host.ShmSize ?? 64 * 1024 * 1024, privileged, cgroupNamespace: input.cgroupNamespace });
  if (host.IpcMode === 'host') removeMount(mounts, '/dev/shm', '/dev/mqueue');
  if (host.Init) {
    if (!input.initPath) throw new TsdError('invalid-argument', 'no init binary is configured for --init');
    args = [INIT_DESTINATION, '--', ...args];
    mounts.push({ destination: INIT_DESTINATION, type: 'bind', source: input.initPath, options: ['bind', 'ro'] });
  }
  for (const [destination, source] of [['/etc/resolv.conf', input.etcFiles.resolvConf], ['/etc/hostname', input.etcFiles.hostname], ['/etc/hosts', input.etcFiles.hosts]] as const) {
    if (source) mounts.push({ destination, type: 'bind', source, options: ['rbind', 'rprivate'] });
  }
  // User mounts last, so they may cover the defaults (Docker drops a default under a user mount).
  for (const m of input.mounts) {
    removeMount(mounts, m.destination);
    mounts.push(m);
  }

  let env = processEnv(config, hostname);
  if (!env.some((e) => e.startsWith('HOME='))) env = mergeEnv(env, [`HOME=${input.user.home}`]);

  const spec: Spec = {
    ociVersion: '1.2.0',
    process: {
      terminal: !!config.Tty,
      user: input.user.user,
      args,
      env,
      cwd: config.WorkingDir || '/',
      capabilities: capabilitySets(caps),
      noNewPrivileges: security.noNewPrivileges,
      rlimits: rlimits(host.Ulimits ?? []),
    },
    root: { path: 'rootfs', readonly: !!host.ReadonlyRootfs },
    hostname: host.NetworkMode === 'host' || host.UTSMode === 'host' ? undefined : hostname,
    mounts,
    linux: {
      resources: { ...linuxResources(host), devices: [...defaultDeviceRules(privileged), ...(input.devices?.rules ?? [])] },
      cgroupsPath: input.cgroupsPath,
      namespaces: namespaces(input),
      sysctl: { ...(host.Sysctls ?? {}) },
      maskedPaths: privileged ? [] : [...MASKED_PATHS],
      readonlyPaths: privileged ? [] : [...READONLY_PATHS],
    },
  };
  if (input.devices && input.devices.devices.length > 0) spec.linux!.devices = input.devices.devices;
  // The CLI's window at create: the tty starts at that size (a resize after start would race the shell's first read).
  const [height = 0, width = 0] = host.ConsoleSize ?? [];
  if (config.Tty && height > 0 && width > 0) spec.process!.consoleSize = { height, width };
  if (config.Domainname) spec.domainname = config.Domainname;
  if (!spec.hostname) delete spec.hostname;
  if (!privileged && security.seccomp.kind !== 'unconfined') {
    const profile = security.seccomp.kind === 'profile' ? parseProfile(security.seccomp.json) : input.defaultSeccomp;
    if (profile) spec.linux!.seccomp = profileToOci(profile, archName(input.arch), caps);
  }
  return spec;
}

function archName(nodeArch: string): string {
  return nodeArch === 'x64' ? 'amd64' : nodeArch;
}

function namespaces(input: SpecInput): LinuxNamespace[] {
  const { host } = input;
  const join = input.joinNamespaces ?? {};
  const list: LinuxNamespace[] = [{ type: 'mount' }];
  const add = (type: LinuxNamespace['type'], mode: string | undefined, path?: string): void => {
    if (mode === 'host') return;
    list.push(path ? { type, path } : { type });
  };
  add('network', host.NetworkMode, join.network);
  add('pid', host.PidMode, join.pid);
  add('ipc', host.IpcMode, join.ipc);
  add('uts', host.UTSMode === 'host' || host.NetworkMode === 'host' ? 'host' : undefined);
  if (input.cgroupNamespace) list.push({ type: 'cgroup' });
  return list;
}

function removeMount(mounts: Mount[], ...destinations: string[]): void {
  for (let i = mounts.length - 1; i >= 0; i--) {
    const dest = mounts[i]!.destination;
    if (destinations.some((d) => dest === d || dest.startsWith(`${d}/`))) mounts.splice(i, 1);
  }
}
