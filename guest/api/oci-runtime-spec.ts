/**
 * TypeScript types of the OCI runtime specification 1.2 (linux platform): the bundle's
 * config.json (`Spec`), the runtime state (`State`) and the `features` document.
 *
 * Field names follow the specification's JSON exactly, so a parsed config.json is a `Spec`
 * after validation. Every optional field of the spec is optional here; numbers that the spec
 * declares as 64-bit (memory limits, seccomp argument values) are `number` because JSON.parse
 * yields numbers — code that needs exact 64-bit values (seccomp) converts them with BigInt.
 * Windows, Solaris, VM and z/OS sections are not modelled: tsd runs Linux containers only.
 */

/** The bundle's config.json. */
export interface Spec {
  /** SemVer of the runtime-spec the bundle complies with, e.g. "1.2.0". */
  ociVersion: string;
  process?: Process;
  root?: Root;
  hostname?: string;
  domainname?: string;
  /** Applied in order, after the rootfs is prepared and before pivot_root. */
  mounts?: Mount[];
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
}

// ---------------------------------------------------------------- process

export interface Process {
  terminal?: boolean;
  consoleSize?: Box;
  user: User;
  /** argv; REQUIRED to start the container (may be absent at create time in some callers). */
  args?: string[];
  /** Windows only; kept so a round-trip of a foreign config does not lose it. */
  commandLine?: string;
  /** "KEY=value" entries. */
  env?: string[];
  /** Absolute path inside the container. */
  cwd: string;
  capabilities?: LinuxCapabilities;
  rlimits?: POSIXRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  scheduler?: Scheduler;
  selinuxLabel?: string;
  ioPriority?: LinuxIOPriority;
  execCPUAffinity?: CPUAffinity;
}

export interface Box {
  height: number;
  width: number;
}

export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
  /** Windows only. */
  username?: string;
}

export type CapabilityName = `CAP_${string}`;

export interface LinuxCapabilities {
  bounding?: CapabilityName[];
  effective?: CapabilityName[];
  inheritable?: CapabilityName[];
  permitted?: CapabilityName[];
  ambient?: CapabilityName[];
}

export interface POSIXRlimit {
  /** e.g. "RLIMIT_NOFILE". */
  type: `RLIMIT_${string}`;
  hard: number;
  soft: number;
}

export type SchedulerPolicy =
  | 'SCHED_OTHER'
  | 'SCHED_FIFO'
  | 'SCHED_RR'
  | 'SCHED_BATCH'
  | 'SCHED_ISO'
  | 'SCHED_IDLE'
  | 'SCHED_DEADLINE';

export type SchedulerFlag =
  | 'SCHED_FLAG_RESET_ON_FORK'
  | 'SCHED_FLAG_RECLAIM'
  | 'SCHED_FLAG_DL_OVERRUN'
  | 'SCHED_FLAG_KEEP_POLICY'
  | 'SCHED_FLAG_KEEP_PARAMS'
  | 'SCHED_FLAG_UTIL_CLAMP_MIN'
  | 'SCHED_FLAG_UTIL_CLAMP_MAX';

/** sched_setattr(2) parameters. */
export interface Scheduler {
  policy: SchedulerPolicy;
  nice?: number;
  priority?: number;
  flags?: SchedulerFlag[];
  /** Nanoseconds (SCHED_DEADLINE). */
  runtime?: number;
  deadline?: number;
  period?: number;
}

export interface LinuxIOPriority {
  class: 'IOPRIO_CLASS_RT' | 'IOPRIO_CLASS_BE' | 'IOPRIO_CLASS_IDLE';
  priority: number;
}

/** CPU lists such as "0-3,7" applied before and after the exec of the process. */
export interface CPUAffinity {
  initial?: string;
  final?: string;
}

// ---------------------------------------------------------------- root, mounts

export interface Root {
  /** Absolute, or relative to the bundle directory. */
  path: string;
  readonly?: boolean;
}

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
  /** Idmapped mount (mount_setattr MOUNT_ATTR_IDMAP). */
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
}

// ---------------------------------------------------------------- hooks

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  /** Seconds; must be > 0 when present. */
  timeout?: number;
}

export interface Hooks {
  /** Deprecated by the spec in favour of createRuntime/createContainer/startContainer. */
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

export type HookName = keyof Hooks;

// ---------------------------------------------------------------- linux

export interface Linux {
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
  sysctl?: Record<string, string>;
  resources?: LinuxResources;
  /** Absolute, or relative to the runtime's own cgroup; see guest/runc/cgroups/README.md. */
  cgroupsPath?: string;
  namespaces?: LinuxNamespace[];
  devices?: LinuxDevice[];
  seccomp?: LinuxSeccomp;
  rootfsPropagation?: 'private' | 'rprivate' | 'slave' | 'rslave' | 'shared' | 'rshared' | 'unbindable' | 'runbindable';
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  intelRdt?: LinuxIntelRdt;
  personality?: LinuxPersonality;
  /** Time namespace offsets keyed by clock: "monotonic" or "boottime". */
  timeOffsets?: Record<string, LinuxTimeOffset>;
  /** Network devices moved into the container's network namespace, keyed by host name. */
  netDevices?: Record<string, LinuxNetDevice>;
}

export type LinuxNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface LinuxNamespace {
  type: LinuxNamespaceType;
  /** Join this namespace (a /proc/<pid>/ns/<x> path) instead of creating one. */
  path?: string;
}

export interface LinuxIDMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface LinuxTimeOffset {
  secs?: number;
  nanosecs?: number;
}

export interface LinuxNetDevice {
  /** Name inside the container; defaults to the host name. */
  name?: string;
}

/** A device node to create in the container's /dev. */
export interface LinuxDevice {
  /** c (or u), b, p. */
  type: 'c' | 'b' | 'u' | 'p';
  path: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface LinuxIntelRdt {
  closID?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
  enableCMT?: boolean;
  enableMBM?: boolean;
}

export interface LinuxPersonality {
  domain: 'LINUX' | 'LINUX32';
  flags?: string[];
}

// ---------------------------------------------------------------- resources (cgroups)

export interface LinuxResources {
  /** Device cgroup rules, applied in order. */
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: LinuxPids;
  blockIO?: LinuxBlockIO;
  hugepageLimits?: LinuxHugepageLimit[];
  network?: LinuxNetwork;
  /** Keyed by RDMA device name. */
  rdma?: Record<string, LinuxRdma>;
  /** cgroup v2 file name → content, written verbatim. */
  unified?: Record<string, string>;
}

export interface LinuxDeviceCgroup {
  allow: boolean;
  /** a (all), c, b. Absent means all. */
  type?: 'a' | 'c' | 'b';
  /** Absent or -1 means any. */
  major?: number | null;
  minor?: number | null;
  /** Subset of "rwm". */
  access?: string;
}

/** Bytes; -1 means unlimited where the spec allows it. */
export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  /** Memory + swap total (the v1 memsw meaning), not swap alone. */
  swap?: number;
  /** Deprecated by the kernel; runtimes ignore it. */
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface LinuxCPU {
  /** v1 cpu.shares (2..262144); converted to cpu.weight on v2. */
  shares?: number;
  /** Microseconds per period; -1 means unlimited. */
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
  idle?: number;
}

export interface LinuxPids {
  /** -1 or 0 means unlimited (runc treats 0 as "unset" when updating). */
  limit: number;
}

export interface LinuxWeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}

export interface LinuxThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

export interface LinuxBlockIO {
  /** 10..1000 (v1 blkio.weight); converted to io.weight on v2. */
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

export interface LinuxHugepageLimit {
  /** e.g. "2MB", "1GB". */
  pageSize: string;
  limit: number;
}

export interface LinuxNetwork {
  classID?: number;
  priorities?: LinuxInterfacePriority[];
}

export interface LinuxInterfacePriority {
  name: string;
  priority: number;
}

export interface LinuxRdma {
  hcaHandles?: number;
  hcaObjects?: number;
}

// ---------------------------------------------------------------- seccomp

export type LinuxSeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';

export type LinuxSeccompArch =
  | 'SCMP_ARCH_X86'
  | 'SCMP_ARCH_X86_64'
  | 'SCMP_ARCH_X32'
  | 'SCMP_ARCH_ARM'
  | 'SCMP_ARCH_AARCH64'
  | 'SCMP_ARCH_MIPS'
  | 'SCMP_ARCH_MIPS64'
  | 'SCMP_ARCH_MIPS64N32'
  | 'SCMP_ARCH_MIPSEL'
  | 'SCMP_ARCH_MIPSEL64'
  | 'SCMP_ARCH_MIPSEL64N32'
  | 'SCMP_ARCH_PPC'
  | 'SCMP_ARCH_PPC64'
  | 'SCMP_ARCH_PPC64LE'
  | 'SCMP_ARCH_S390'
  | 'SCMP_ARCH_S390X'
  | 'SCMP_ARCH_PARISC'
  | 'SCMP_ARCH_PARISC64'
  | 'SCMP_ARCH_RISCV64'
  | 'SCMP_ARCH_LOONGARCH64';

export type LinuxSeccompFlag =
  | 'SECCOMP_FILTER_FLAG_TSYNC'
  | 'SECCOMP_FILTER_FLAG_LOG'
  | 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'
  | 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV';

export type LinuxSeccompOperator =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

export interface LinuxSeccomp {
  defaultAction: LinuxSeccompAction;
  /** errno for a default action of SCMP_ACT_ERRNO (EPERM when absent). */
  defaultErrnoRet?: number;
  architectures?: LinuxSeccompArch[];
  flags?: LinuxSeccompFlag[];
  /** Unix socket that receives the SCMP_ACT_NOTIFY listener fd. */
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: LinuxSyscall[];
}

export interface LinuxSyscall {
  names: string[];
  action: LinuxSeccompAction;
  /** errno for SCMP_ACT_ERRNO (EPERM when absent); also the msg for SCMP_ACT_TRACE. */
  errnoRet?: number;
  /** All must match (AND). */
  args?: LinuxSeccompArg[];
}

export interface LinuxSeccompArg {
  /** 0..5 */
  index: number;
  value: number;
  /** The expected result for SCMP_CMP_MASKED_EQ (value is the mask). */
  valueTwo?: number;
  op: LinuxSeccompOperator;
}

// ---------------------------------------------------------------- state

export type ContainerStatus = 'creating' | 'created' | 'running' | 'stopped';

/** The state document of `runtime state` and of hooks' stdin. */
export interface State {
  ociVersion: string;
  id: string;
  status: ContainerStatus;
  /** Host pid of the container process; present when created or running. */
  pid?: number;
  /** Absolute path of the bundle. */
  bundle: string;
  annotations?: Record<string, string>;
}

/** Sent on the seccomp listener socket together with the notify fd. */
export interface ContainerProcessState {
  ociVersion: string;
  fds: string[];
  pid: number;
  metadata?: string;
  state: State;
}

// ---------------------------------------------------------------- features

/** The `features` document: what this runtime implements. */
export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks?: HookName[];
  mountOptions?: string[];
  linux?: LinuxFeatures;
  annotations?: Record<string, string>;
  potentiallyUnsafeConfigAnnotations?: string[];
}

export interface LinuxFeatures {
  namespaces?: LinuxNamespaceType[];
  capabilities?: CapabilityName[];
  cgroup?: CgroupFeatures;
  seccomp?: SeccompFeatures;
  apparmor?: { enabled?: boolean };
  selinux?: { enabled?: boolean };
  intelRdt?: { enabled?: boolean };
  mountExtensions?: { idmap?: { enabled?: boolean } };
  netDevices?: { enabled?: boolean };
}

export interface CgroupFeatures {
  v1?: boolean;
  v2?: boolean;
  systemd?: boolean;
  systemdUser?: boolean;
  rdma?: boolean;
}

export interface SeccompFeatures {
  enabled?: boolean;
  actions?: LinuxSeccompAction[];
  operators?: LinuxSeccompOperator[];
  archs?: LinuxSeccompArch[];
  knownFlags?: LinuxSeccompFlag[];
  supportedFlags?: LinuxSeccompFlag[];
}
