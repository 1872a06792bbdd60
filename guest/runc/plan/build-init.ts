/**
 * Spec → plan for a container's init process (create and run). Pure: everything it needs from
 * the host arrives in `host`, the seccomp filter arrives compiled. The order of the steps is the
 * container's set-up order; README.md in guest/native/ shows it as a sequence.
 */
import type { Hook, Process, Spec } from '../../api/oci-runtime-spec.js';
import type { StateJson } from '../state/record.js';
import { deviceList, deviceSteps, devSymlinkSteps } from './devices.js';
import type { HostView } from './host-view.js';
import { identitySteps, type SeccompLoad } from './identity.js';
import { CLONE_NEW, MS, PROPAGATION_OPTIONS, RLIMITS } from './linux-constants.js';
import { isBind, mountSteps } from './mounts.js';
import type { Step } from './steps.js';

export interface InitPlanInput {
  spec: Spec;
  bundle: string;
  /** Absolute host path of the rootfs. */
  rootfs: string;
  /** create: block on the exec fifo until `start`; attached: `run` in the foreground. */
  mode: { kind: 'create'; fifoPath: string } | { kind: 'run'; attached: boolean };
  consoleSocket?: string;
  noPivot: boolean;
  preserveFds: number;
  seccomp?: SeccompLoad;
  host: HostView;
  /** The state hooks run by the helper receive (its pid is filled in by the helper). */
  state: StateJson;
}

export function buildInitPlan(input: InitPlanInput): Step[] {
  const { spec, rootfs, host } = input;
  const process = spec.process!;
  const namespaces = spec.linux?.namespaces ?? [];
  const created = new Set(namespaces.filter((n) => !n.path).map((n) => n.type));
  const steps: Step[] = [];
  if (input.mode.kind === 'run' && input.mode.attached) steps.push(['attached']);

  // Join first (user namespace before the others, so that joining them is permitted there).
  const joins = namespaces.filter((n) => n.path).sort((a, b) => Number(b.type === 'user') - Number(a.type === 'user'));
  for (const ns of joins) steps.push(['setns', ns.path!, CLONE_NEW[ns.type]]);
  if (input.consoleSocket) steps.push(['console_connect', input.consoleSocket]);
  else if (process.terminal && input.mode.kind === 'run' && input.mode.attached) steps.push(['console_relay']);
  if (input.mode.kind === 'create') steps.push(['mkfifo', input.mode.fifoPath, 0o622]);

  // The cgroup namespace is unshared after the runtime placed the process in its cgroup.
  let cloneFlags = 0;
  for (const type of created) if (type !== 'cgroup') cloneFlags |= CLONE_NEW[type];
  steps.push(['clone', cloneFlags], ['sync', 'setup']);
  if (created.has('user')) steps.push(['setresids', 0, 0]);
  if (created.has('cgroup')) steps.push(['unshare', CLONE_NEW.cgroup]);
  if (created.has('network')) steps.push(['loopback_up']);

  const propagation = spec.linux?.rootfsPropagation;
  steps.push(['mount', '', '/', '', propagation ? PROPAGATION_OPTIONS[propagation]! : MS.SLAVE | MS.REC, '']);
  steps.push(['mount', rootfs, rootfs, '', MS.BIND | MS.REC, '']);
  if (input.mode.kind === 'create') steps.push(['fifo_open', input.mode.fifoPath]);

  const mounts = spec.mounts ?? [];
  for (const mount of mounts) steps.push(...mountSteps(mount, host.resolve(rootfs, mount.destination), input.bundle, host));
  const devBound = mounts.some((m) => m.destination === '/dev' && isBind(m));
  if (!devBound) {
    steps.push(...deviceSteps(rootfs, deviceList(spec.linux?.devices), created.has('user')));
    const devpts = mounts.some((m) => m.destination === '/dev/pts' && m.type === 'devpts');
    steps.push(...devSymlinkSteps(rootfs, { kcore: host.hasKcore, devpts }));
  }
  if (hasHooks(spec, ['prestart', 'createRuntime'])) steps.push(['sync', 'hooks']);
  steps.push(...hookSteps(spec.hooks?.createContainer, { ...input.state, status: 'creating' }));

  steps.push(input.noPivot ? ['chroot_move', rootfs] : ['pivot_root', rootfs]);
  if (process.terminal) steps.push(consoleSetup(process));
  if (spec.hostname !== undefined && created.has('uts')) steps.push(['hostname', spec.hostname]);
  if (spec.domainname !== undefined && created.has('uts')) steps.push(['domainname', spec.domainname]);
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    steps.push(['write', `/proc/sys/${key.replaceAll('.', '/')}`, value]);
  }
  for (const path of spec.linux?.readonlyPaths ?? []) steps.push(['readonly', path]);
  for (const path of spec.linux?.maskedPaths ?? []) steps.push(['mask', path]);
  if (spec.root?.readonly) steps.push(['remount', '/', MS.BIND | MS.REC | MS.RDONLY]);
  if (process.oomScoreAdj !== undefined && process.oomScoreAdj !== host.oomScoreAdj) {
    steps.push(['write', '/proc/self/oom_score_adj', String(process.oomScoreAdj)]);
  }
  for (const limit of process.rlimits ?? []) {
    steps.push(['rlimit', RLIMITS[limit.type]!, BigInt(limit.soft), BigInt(limit.hard)]);
  }

  const identity = identitySteps(process, input.seccomp, { setgroups: true });
  const startHooks = hookSteps(spec.hooks?.startContainer, { ...input.state, status: 'created' });
  const lookup = lookpathSteps(process);
  if (input.mode.kind === 'create') {
    // The exec fifo is reopened through /proc/self/fd, which a non-root uid cannot do once it
    // has dropped privileges: root processes set up their identity first (errors reach `create`),
    // others after `start`.
    if (process.user.uid === 0) steps.push(...identity, ...lookup, ['ready'], ['fifo_wait']);
    else steps.push(...lookup, ['ready'], ['fifo_wait'], ...identity);
    steps.push(...startHooks);
  } else {
    steps.push(...identity, ...startHooks, ...lookup, ['ready']);
  }
  steps.push(['closefds', input.preserveFds]);
  const args = process.args ?? [];
  steps.push(['exec', args[0]!, args, process.env ?? []]);
  return steps;
}

/**
 * The program is looked up before `ready`, as runc does, so that a missing one fails `create`.
 * Only where the answer cannot change by exec time: a name searched in the process's PATH (when
 * it has one; execvp's default path otherwise), or an absolute path. A relative path with a
 * slash depends on the cwd, set later for non-root users: the exec itself reports it.
 */
export function lookpathSteps(process: { args?: string[]; env?: string[] }): Step[] {
  const file = process.args?.[0];
  if (!file) return [];
  if (file.startsWith('/')) return [['lookpath', file, '']];
  if (file.includes('/')) return [];
  const path = process.env?.findLast((e) => e.startsWith('PATH='))?.slice('PATH='.length);
  return path === undefined ? [] : [['lookpath', file, path]];
}

function hasHooks(spec: Spec, names: readonly (keyof NonNullable<Spec['hooks']>)[]): boolean {
  return names.some((name) => (spec.hooks?.[name] ?? []).length > 0);
}

/** Hooks the helper runs inside the container; the state JSON is split where the pid goes. */
export function hookSteps(hooks: readonly Hook[] | undefined, state: StateJson): Step[] {
  const [before, after] = JSON.stringify({ ...state, pid: 0 }).split('"pid":0') as [string, string];
  return (hooks ?? []).map((hook): Step => {
    const args = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
    return ['hook', hook.path, hook.timeout ?? 0, `${before}"pid":`, after, args, hook.env ?? []];
  });
}

/** The terminal's set-up step, sized by process.consoleSize when given (as runc sizes its console). */
export function consoleSetup(process: Process): Step {
  const size = process.consoleSize;
  if (size === undefined || size.height <= 0 || size.width <= 0) return ['console_setup'];
  return ['console_setup', Math.min(size.height, 0xffff), Math.min(size.width, 0xffff)];
}
