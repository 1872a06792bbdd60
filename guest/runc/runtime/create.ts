/**
 * Creating a container (create, and the first half of run): load the bundle, claim the id, build
 * the plan, start the helper and answer its sync points (uid/gid maps, cgroup, hooks), record the
 * state. On any failure everything done so far is undone: process killed, cgroup removed, state
 * directory gone.
 */
import { writeFileSync, renameSync } from 'node:fs';
import { TsdError } from '../../api/errors.js';
import type { Spec } from '../../api/oci-runtime-spec.js';
import type { CgroupManager } from '../cgroups/cgroup-manager.js';
import type { Context } from '../cli/context.js';
import { buildInitPlan } from '../plan/build-init.js';
import { withDeviceRules } from '../plan/device-rules.js';
import { describePlan } from '../plan/steps.js';
import { realHostView } from '../plan/host-view.js';
import type { SeccompLoad } from '../plan/identity.js';
import { startHelper, type HelperRun } from '../process/helper.js';
import { loadBundle } from '../spec/load.js';
import { RECORD_VERSION, stateJson, type ContainerRecord } from '../state/record.js';
import { processStartTime } from '../state/status.js';
import { fastPathFor } from '../state/fast-path.js';
import { cgroupsFor, recordedCgroup, v1MountsOf } from './cgroups.js';
import { runHooks } from './hooks.js';
import { writeIdMaps } from './id-maps.js';
import { mark } from '../cli/timing.js';

export type CreateMode = 'create' | 'run-attached' | 'run-detached';

export interface CreateOptions {
  id: string;
  bundle: string;
  mode: CreateMode;
  pidFile?: string;
  consoleSocket?: string;
  noPivot: boolean;
  preserveFds: number;
}

export interface Created {
  record: ContainerRecord;
  run: HelperRun;
  /** The container's cgroups, as created (an attached run removes them at the end). */
  cgroups: CgroupManager;
}

export async function createContainer(ctx: Context, options: CreateOptions): Promise<Created> {
  const { bundle, spec, rootfs } = loadBundle(options.bundle);
  checkTerminal(spec, options);
  warnUnsupported(ctx, spec);
  ctx.store.reserve(options.id);
  let cgroups: CgroupManager | undefined;
  let pid = 0;
  try {
    cgroups = await cgroupsFor(options.id, spec);
    const record: ContainerRecord = {
      version: RECORD_VERSION,
      id: options.id,
      pid: 0,
      pidStartTime: '',
      bundle,
      rootfs,
      created: new Date().toISOString(),
      owner: '',
      spec,
      started: options.mode !== 'create',
      cgroup: recordedCgroup(cgroups),
    };
    // Saved now and again at the setup sync point: a create killed with -9 at any moment leaves a
    // record that `delete --force` can clean up from (cgroup, process).
    ctx.store.save(record);
    const manager = cgroups;
    const plan = buildInitPlan({
      spec,
      bundle,
      rootfs,
      mode: options.mode === 'create' ? { kind: 'create', fifoPath: ctx.store.fifoPath(options.id) } : { kind: 'run', attached: options.mode === 'run-attached' },
      consoleSocket: options.consoleSocket,
      noPivot: options.noPivot,
      preserveFds: options.preserveFds,
      seccomp: await compileFilter(spec),
      host: await realHostView(v1MountsOf(manager)),
      state: stateJson(record, 'creating'),
    });
    mark('plan-built');
    if (ctx.log.debugEnabled) ctx.log.debug(`plan:\n${describePlan(plan)}`);
    const run = await startHelper(plan, {
      stdio: ['inherit', 'inherit', 'inherit'],
      preserveFds: options.preserveFds,
      debug: (m) => ctx.log.debug(m),
      onSync: async (point, containerPid) => {
        pid = containerPid;
        if (point === 'setup') {
          mark('sync-setup');
          record.pid = containerPid;
          record.pidStartTime = processStartTime(containerPid) ?? '';
          ctx.store.save(record);
          // An attached run tears down in this same process: no later invocation to speed up.
          const fast = options.mode === 'run-attached' ? undefined : fastPathFor(record, options.mode === 'create');
          if (fast) ctx.store.saveFastPath(record.id, fast);
          if (spec.linux?.namespaces?.some((n) => n.type === 'user' && !n.path)) writeIdMaps(containerPid, spec);
          await manager.apply(containerPid);
          mark('cgroup-applied');
          await manager.set(withDeviceRules(spec.linux?.resources, spec.linux?.devices));
          mark('cgroup-set');
        } else {
          const state = stateJson(record, 'creating');
          for (const name of ['prestart', 'createRuntime'] as const) await runHooks(spec, name, state);
        }
      },
    });
    mark('helper-ready');
    // No save here: the record got its pid at the setup sync point, which every plan has, and
    // nothing in it changed since (each save is an fsync on a disk-backed root).
    if (options.pidFile) writePidFile(options.pidFile, run.pid);
    return { record, run, cgroups: manager };
  } catch (error) {
    if (pid > 0) killQuietly(pid);
    await cgroups?.destroy().catch((e: Error) => ctx.log.warn(`removing the cgroup: ${e.message}`));
    ctx.store.remove(options.id);
    throw error;
  }
}

async function compileFilter(spec: Spec): Promise<SeccompLoad | undefined> {
  const config = spec.linux?.seccomp;
  if (!config) return undefined;
  const { compileSeccomp, seccompFlags } = await import('../seccomp/index.js');
  return { flags: seccompFlags(config), filter: compileSeccomp(config, process.arch) };
}

function checkTerminal(spec: Spec, options: CreateOptions): void {
  const terminal = Boolean(spec.process?.terminal);
  if (terminal && !options.consoleSocket && options.mode !== 'run-attached') {
    throw new TsdError('invalid-argument', 'cannot allocate tty if tsd-runc will detach without setting console socket (process.terminal is true: pass --console-socket)');
  }
  if (!terminal && options.consoleSocket) {
    throw new TsdError('invalid-argument', 'cannot use console socket if tsd-runc will not provide a terminal (process.terminal is false)');
  }
}

function warnUnsupported(ctx: Context, spec: Spec): void {
  if (spec.process?.apparmorProfile) ctx.log.warn(`process.apparmorProfile ${JSON.stringify(spec.process.apparmorProfile)}: AppArmor is not supported by tsd-runc; ignored`);
  if (spec.process?.selinuxLabel) ctx.log.warn('process.selinuxLabel: SELinux is not supported by tsd-runc; ignored');
  if (spec.linux?.mountLabel) ctx.log.warn('linux.mountLabel: SELinux is not supported by tsd-runc; ignored');
}

/** Atomic, like runc: containerd reads the pid file as soon as the runtime exits. */
export function writePidFile(path: string, pid: number): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, String(pid));
  renameSync(temp, path);
}

export function killQuietly(pid: number, signal: NodeJS.Signals | number = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
