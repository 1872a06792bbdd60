/**
 * Running a container: start (snapshot mounts → spec → containerd container → task with stdio
 * FIFOs → network attach on the created init → Task.Start), the exit monitor, and restart
 * policies. The containerd container is created at each start with a fresh spec and deleted after
 * each exit, as dockerd does, so `docker update` and engine upgrades apply on the next run.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../../api/errors.js';
import { runcOptions } from '../../containerd/containers.js';
import { JsonLogWriter } from '../io/json-log.js';
import { extraAttributes } from '../io/log-attrs.js';
import { logRotationAtStart } from '../io/log-options.js';
import { ProcessStdio, stdioPaths } from '../io/stdio.js';
import { RUNC_RUNTIME } from '../runtime-options.js';
import { buildSpec } from '../spec/build-spec.js';
import { defaultSeccompProfile } from '../spec/default-seccomp.js';
import { capabilitiesInMask } from '../spec/capabilities.js';
import type { CapabilityName } from '../../../api/oci-runtime-spec.js';
import { hostsFile, resolvConf } from '../spec/etc-files.js';
import { dockerTime, type ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from './container-service.js';
import { startHealthcheck } from './healthcheck.js';
import { hostDevices } from './host-devices.js';
import { prepareStartFilesystem } from './start-rootfs.js';
import { removeContainer } from './remove.js';

const CGROUP_V2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

let bounding: CapabilityName[] | undefined;
/** The engine's own bounding set (read once): what --privileged and --cap-add ALL can give. */
async function engineCapabilities(): Promise<CapabilityName[]> {
  if (!bounding) {
    const status = await readFile('/proc/self/status', 'utf8');
    bounding = capabilitiesInMask(/^CapBnd:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '');
  }
  return bounding;
}

export function containerExecDir(service: ContainerService, id: string): string {
  return join(service.deps.execRoot, 'containers', id);
}

/** Docker's exit codes for a process that could not be started. */
function startFailureCode(message: string): { code: 'invalid-argument' | 'internal'; exitCode: number } {
  if (/executable file not found|no such file or directory/i.test(message)) return { code: 'invalid-argument', exitCode: 127 };
  if (/permission denied|cannot execute/i.test(message)) return { code: 'invalid-argument', exitCode: 126 };
  return { code: 'internal', exitCode: 128 };
}

export async function startContainer(service: ContainerService, record: ContainerRecord): Promise<void> {
  const live = service.live(record.ID);
  if (record.State.Running) throw new TsdError('conflict', 'container already started');
  if (live.busy) throw new TsdError('conflict', `container ${record.ID} is ${live.busy}`);
  live.busy = 'starting';
  live.containerdClean = false;
  const { containerd } = service.deps;
  const id = record.ID;
  const execDir = containerExecDir(service, id);
  let stdio: ProcessStdio | undefined;
  let containerCreated = false;
  let taskCreated = false;
  try {
    await mkdir(execDir, { recursive: true, mode: 0o700 });
    const rootfsMounts = await containerd.snapshots.mounts(record.Internal.snapshotKey);
    const config = record.Config;
    const host = record.HostConfig;
    // The user, WorkingDir and volumes, read from the snapshot's layers (mounted only when needed).
    const { user, mounts } = await prepareStartFilesystem(service, record, rootfsMounts, execDir);
    await writeEtcFiles(service, record);
    const devices = await hostDevices(host);
    const spec = buildSpec({
      id,
      config,
      host,
      user,
      mounts: mounts.oci,
      etcFiles: host.NetworkMode === 'host' ? { hostname: record.HostnamePath } : { hostname: record.HostnamePath, hosts: record.HostsPath, resolvConf: record.ResolvConfPath },
      cgroupsPath: `${host.CgroupParent || service.deps.runtime.cgroupParent}/${id}`,
      cgroupNamespace: CGROUP_V2,
      joinNamespaces: joinedNamespaces(service, record),
      initPath: service.deps.runtime.initPath,
      arch: process.arch,
      devices,
      defaultSeccomp: defaultSeccompProfile(),
      allCapabilities: await engineCapabilities(),
    });
    record.Mounts = mounts.points;
    await containerd.containers.delete(id).catch(() => undefined);
    await containerd.containers.create({
      id,
      labels: { 'com.docker/engine.bundle.path': execDir },
      image: config.Image ?? '',
      runtime: runtimeFor(service),
      spec,
      snapshotter: record.Internal.snapshotter,
      snapshotKey: record.Internal.snapshotKey,
    });
    containerCreated = true;
    const paths = stdioPaths(execDir, 'init', { stdin: !!config.OpenStdin, terminal: !!config.Tty });
    stdio = await ProcessStdio.create(paths);
    attachOutput(service, record, stdio);
    const pid = await containerd.tasks.create(id, rootfsMounts, paths);
    taskCreated = true;
    stdio.releaseKeepers();
    // Attached clients may now write stdin (and close it with CloseIO, which needs the task).
    live.emit('stdio');
    await attachNetwork(service, record, pid);
    await containerd.tasks.start(id);
    live.generation++;
    record.State = {
      ...record.State,
      Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
      Pid: pid, ExitCode: 0, Error: '', StartedAt: dockerTime(), FinishedAt: record.State.FinishedAt,
    };
    record.Internal.hasBeenStarted = true;
    record.Internal.manuallyStopped = false;
    live.stopHealth = startHealthcheck(service, record);
    await service.save(record);
    service.event(record, 'start');
    void monitorExit(service, record, live.generation);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (taskCreated) await containerd.tasks.kill(id, 9, { all: true }).catch(() => undefined);
    if (taskCreated) await containerd.tasks.delete(id).catch(() => undefined);
    if (containerCreated) await containerd.containers.delete(id).catch(() => undefined);
    await service.deps.networking()?.detach(id).catch(() => undefined);
    await stdio?.close();
    await closeLog(service, record);
    const failure = startFailureCode(message);
    record.State = { ...record.State, Status: record.Internal.hasBeenStarted ? 'exited' : 'created', Running: false, Restarting: false, Pid: 0, ExitCode: failure.exitCode, Error: message };
    if (record.Internal.hasBeenStarted) record.State.FinishedAt = dockerTime();
    await service.save(record).catch(() => undefined);
    if (error instanceof TsdError && error.code !== 'internal' && error.code !== 'unsupported') throw error;
    throw new TsdError(failure.code, `failed to create task for container: ${message}`, { cause: error });
  } finally {
    live.busy = undefined;
    live.emit('idle');
  }
}

function runtimeFor(service: ContainerService): { name: string; options?: ReturnType<typeof runcOptions> } {
  const { runtime, runcBinary } = service.deps.runtime;
  return runtime === RUNC_RUNTIME && runcBinary ? { name: runtime, options: runcOptions(runcBinary) } : { name: runtime };
}

/** container:<id> network/ipc/pid modes join that container's namespaces through its init's /proc entry. */
function joinedNamespaces(service: ContainerService, record: ContainerRecord): Partial<Record<'network' | 'ipc' | 'pid', string>> {
  const result: Partial<Record<'network' | 'ipc' | 'pid', string>> = {};
  const modes = { network: record.HostConfig.NetworkMode, ipc: record.HostConfig.IpcMode, pid: record.HostConfig.PidMode } as const;
  const nsName = { network: 'net', ipc: 'ipc', pid: 'pid' } as const;
  for (const [kind, mode] of Object.entries(modes) as Array<['network' | 'ipc' | 'pid', string | undefined]>) {
    if (!mode?.startsWith('container:')) continue;
    const other = service.find(mode.slice('container:'.length));
    if (!other.State.Running) throw new TsdError('conflict', `cannot join network namespace of a non running container: container ${other.ID} is not running`.replace('network', kind));
    result[kind] = `/proc/${other.State.Pid}/ns/${nsName[kind]}`;
  }
  return result;
}

async function writeEtcFiles(service: ContainerService, record: ContainerRecord): Promise<void> {
  const host = record.HostConfig;
  await writeFile(record.HostnamePath, `${record.Config.Hostname}\n`);
  // Starting content; the network module's versions replace it after attach (same inode: the
  // files are bind-mounted, so they are rewritten in place, never renamed).
  await writeFile(record.HostsPath, hostsFile({ hostname: record.Config.Hostname ?? '', domainname: record.Config.Domainname, extraHosts: host.ExtraHosts ?? [] }));
  const hostResolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  await writeFile(record.ResolvConfPath, resolvConf({
    hostResolvConf: hostResolv, dns: host.Dns ?? [], dnsSearch: host.DnsSearch ?? [], dnsOptions: host.DnsOptions ?? [], fallbackNameservers: service.deps.dns,
  }));
}

async function attachNetwork(service: ContainerService, record: ContainerRecord, pid: number): Promise<void> {
  const networking = service.deps.networking();
  if (!networking) return;
  const result = await networking.attach(record.ID, `/proc/${pid}/ns/net`, service.networkSpec(record));
  if (record.HostConfig.NetworkMode === 'host') return;
  await writeFile(record.HostsPath, result.hosts);
  await writeFile(record.ResolvConfPath, result.resolvConf);
}

/** Wires a run's output to the json-file log and to attached clients. */
export function attachOutput(service: ContainerService, record: ContainerRecord, stdio: ProcessStdio): void {
  const live = service.live(record.ID);
  live.stdio = stdio;
  if (record.LogPath && !live.log) live.log = new JsonLogWriter(record.LogPath, logAttributes(record), logRotationAtStart(record.HostConfig.LogConfig?.Config ?? {}));
  const log = live.log;
  stdio.on('data', (stream: 'stdout' | 'stderr', chunk: Buffer) => {
    log?.write(stream, chunk);
    live.emit('output', stream, chunk);
  });
  stdio.once('end', () => {
    log?.flush('stdout');
    log?.flush('stderr');
    live.emit('output-end');
  });
}

function logAttributes(record: ContainerRecord): Record<string, string> {
  return extraAttributes(record.HostConfig.LogConfig?.Config ?? {}, {
    id: record.ID, name: record.Name.slice(1), imageName: record.Config.Image ?? '', imageId: record.Image,
    labels: record.Config.Labels ?? {}, env: record.Config.Env ?? [],
  });
}

async function closeLog(service: ContainerService, record: ContainerRecord): Promise<void> {
  const live = service.live(record.ID);
  const log = live.log;
  live.log = undefined;
  await log?.close();
}

/** Waits for the task's exit (through containerd), then records it and applies the restart policy. */
export async function monitorExit(service: ContainerService, record: ContainerRecord, generation: number): Promise<void> {
  const { tasks } = service.deps.containerd;
  let exitStatus: number;
  for (;;) {
    try {
      exitStatus = (await tasks.wait(record.ID)).exitStatus;
      break;
    } catch (error) {
      // containerd restarting: its shims keep the task; ask again once it answers.
      if ((error as TsdError).code === 'not-found') {
        exitStatus = 255;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (service.live(record.ID).generation !== generation) return;
    }
  }
  await handleExit(service, record, generation, exitStatus);
}

/** Grace for output still in the pipes after the process exited (a forked child may hold stdout). */
const DRAIN_LIMIT_MS = 2000;

export async function handleExit(service: ContainerService, record: ContainerRecord, generation: number, exitStatus: number): Promise<void> {
  const live = service.live(record.ID);
  if (live.generation !== generation) return;
  live.generation++;
  live.stopHealth?.();
  live.stopHealth = undefined;
  const { containerd } = service.deps;
  const oomKilled = await wasOomKilled(service, record).catch(() => false);
  const deleted = await containerd.tasks.delete(record.ID).catch(() => undefined);
  const exitCode = deleted?.exitStatus ?? exitStatus;
  await containerd.containers.delete(record.ID).catch(() => undefined);
  await service.deps.networking()?.detach(record.ID).catch(() => undefined);
  const stdio = live.stdio;
  if (stdio && !stdio.ended) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, DRAIN_LIMIT_MS);
      stdio.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  live.stdio = undefined;
  await stdio?.close();
  if (stdio && !stdio.ended) live.emit('output-end');
  await closeLog(service, record);
  const startedAt = Date.parse(record.State.StartedAt);
  record.State = { ...record.State, Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0, ExitCode: exitCode, OOMKilled: oomKilled, FinishedAt: dockerTime() };
  if (record.State.Health) record.State.Health = { ...record.State.Health, Status: 'unhealthy' };
  if (oomKilled) service.event(record, 'oom');
  // An engine shutdown's stop is no exit to restart from (the policy applies at the next start).
  const restart = !live.shuttingDown && shouldRestart(record, exitCode);
  if (restart) {
    record.State.Status = 'restarting';
    record.State.Restarting = true;
  }
  await service.save(record);
  service.event(record, 'die', { exitCode: String(exitCode) });
  live.emit('exit', { exitCode });
  if (restart) {
    scheduleRestart(service, record, Date.now() - startedAt);
    return;
  }
  if (record.HostConfig.AutoRemove) await removeContainer(service, record, { force: true, volumes: true }).catch(() => undefined);
}

/** The kernel's OOM-kill counter of the container's memory cgroup (read before the task is deleted). */
async function wasOomKilled(service: ContainerService, record: ContainerRecord): Promise<boolean> {
  if (!record.HostConfig.Memory) return false;
  const path = `${record.HostConfig.CgroupParent || service.deps.runtime.cgroupParent}/${record.ID}`;
  const file = CGROUP_V2 ? `/sys/fs/cgroup${path}/memory.events` : `/sys/fs/cgroup/memory${path}/memory.oom_control`;
  return /oom_kill [1-9]/.test(await readFile(file, 'utf8').catch(() => ''));
}

export function shouldRestart(record: ContainerRecord, exitCode: number): boolean {
  const policy = record.HostConfig.RestartPolicy ?? {};
  if (record.Internal.manuallyStopped) return false;
  switch (policy.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (!policy.MaximumRetryCount || record.RestartCount < policy.MaximumRetryCount);
    default:
      return false;
  }
}

/** Docker's back-off: 100 ms doubling per restart, reset after a run of 10 s or more. */
const restartDelays = new Map<string, number>();

function scheduleRestart(service: ContainerService, record: ContainerRecord, ranMs: number): void {
  const previous = restartDelays.get(record.ID) ?? 0;
  const delay = ranMs >= 10_000 || previous === 0 ? 100 : Math.min(previous * 2, 60_000);
  restartDelays.set(record.ID, delay);
  const live = service.live(record.ID);
  live.restartTimer = setTimeout(() => {
    live.restartTimer = undefined;
    const current = service.store.get(record.ID);
    if (!current || !current.State.Restarting) return;
    current.RestartCount++;
    current.State.Restarting = false;
    current.State.Status = 'exited';
    void startContainer(service, current).catch(async () => {
      await service.save(current).catch(() => undefined);
    });
  }, delay);
}
