/**
 * Runs one extra process in a running container through containerd (Tasks.Exec + Start), for
 * `docker exec` and healthchecks. The process spec starts from the container's own (caps, rlimits,
 * apparmor…) with the exec's argv, env, cwd, user and tty; user names are looked up in the
 * container's files through /proc/<init pid>/root, which needs no mount.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { Process } from '../../../api/oci-runtime-spec.js';
import { ProcessStdio, stdioPaths } from '../io/stdio.js';
import { capabilitySets, resolveCapabilities } from '../spec/capabilities.js';
import { mergeEnv } from '../spec/process-args.js';
import { resolveUserInRootfs } from '../spec/user.js';
import type { ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from '../service/container-service.js';
import { containerExecDir } from '../service/run.js';

export interface ExecOptions {
  cmd: string[];
  env?: string[];
  user?: string;
  workingDir?: string;
  tty: boolean;
  stdin: boolean;
  privileged?: boolean;
  consoleSize?: [number, number];
}

export interface RunningExec {
  execId: string;
  pid: number;
  stdio: ProcessStdio;
  /** Resolves with the exit status once the process is gone and deleted from containerd. */
  exited: Promise<number>;
}

export function newExecId(): string {
  return randomBytes(32).toString('hex');
}

export async function execProcess(service: ContainerService, record: ContainerRecord, options: ExecOptions, execId = newExecId()): Promise<Process> {
  const { containerd } = service.deps;
  const base = (await containerd.containers.get(record.ID)).spec.process;
  const rootfs = `/proc/${record.State.Pid}/root`;
  const user = await resolveUserInRootfs(rootfs, options.user || record.Config.User || '', record.HostConfig.GroupAdd ?? []);
  const env = mergeEnv(base?.env ?? [], options.env ?? []);
  const process: Process = {
    ...base,
    terminal: options.tty,
    user: user.user,
    args: options.cmd,
    env: options.tty && !env.some((e) => e.startsWith('TERM=')) ? [...env, 'TERM=xterm'] : env,
    cwd: options.workingDir || base?.cwd || '/',
  };
  if (options.consoleSize) process.consoleSize = { height: options.consoleSize[0], width: options.consoleSize[1] };
  if (options.privileged) process.capabilities = capabilitySets(resolveCapabilities([], [], true));
  void execId;
  return process;
}

/** Creates the FIFOs, starts the process and returns its handles; `onStdio` runs before the start so no output is missed. */
export async function runExec(service: ContainerService, record: ContainerRecord, options: ExecOptions, execId: string, onStdio?: (stdio: ProcessStdio) => void): Promise<RunningExec> {
  const { tasks } = service.deps.containerd;
  const process = await execProcess(service, record, options, execId);
  const dir = containerExecDir(service, record.ID);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths = stdioPaths(dir, execId, { stdin: options.stdin, terminal: options.tty });
  const stdio = await ProcessStdio.create(paths);
  onStdio?.(stdio);
  try {
    await tasks.exec(record.ID, execId, process, paths);
    // runc shims open an exec's FIFOs at Start, not at Exec: keep them open until then.
    const pid = await tasks.start(record.ID, execId);
    stdio.releaseKeepers();
    const exited = tasks.wait(record.ID, execId).then(
      async (result) => {
        await tasks.deleteProcess(record.ID, execId).catch(() => undefined);
        return result.exitStatus;
      },
      () => 255,
    );
    return { execId, pid, stdio, exited };
  } catch (error) {
    await tasks.deleteProcess(record.ID, execId).catch(() => undefined);
    await stdio.close();
    throw error;
  }
}
