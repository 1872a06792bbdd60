/**
 * `exec [--process FILE | ARGS…] ID`: run another process in a running container, in all of its
 * namespaces and its cgroup. Attached it exits with the process's status; --detach returns at once.
 */
import { readFileSync } from 'node:fs';
import { TsdError } from '../../api/errors.js';
import type { CapabilityName, Process } from '../../api/oci-runtime-spec.js';
import { requireArgs, type FlagValues } from '../cli/args.js';
import type { Verb } from '../cli/context.js';
import { buildExecPlan } from '../plan/build-exec.js';
import { describePlan } from '../plan/steps.js';
import { startHelper } from '../process/helper.js';
import { loadContainer } from '../runtime/container.js';
import { killQuietly, writePidFile } from '../runtime/create.js';

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export const verb: Verb = {
  name: 'exec',
  usage: 'tsd-runc exec [command options] <container-id> <command> [command options]  ||  -p process.json <container-id>',
  flags: [
    { name: 'console-socket', type: 'string', usage: 'path to an AF_UNIX socket which will receive the pty master' },
    { name: 'cwd', type: 'string', usage: 'working directory of the new process' },
    { name: 'env', type: 'strings', aliases: ['e'], usage: 'add an environment variable (NAME=value)' },
    { name: 'tty', type: 'bool', aliases: ['t'], usage: 'give the process a terminal' },
    { name: 'user', type: 'string', aliases: ['u'], usage: 'user as <uid>[:<gid>]' },
    { name: 'additional-gids', type: 'strings', aliases: ['g'], usage: 'supplementary group ID' },
    { name: 'process', type: 'string', aliases: ['p'], usage: 'JSON file with an OCI process object' },
    { name: 'detach', type: 'bool', aliases: ['d'], usage: 'return once the container started instead of waiting for it' },
    { name: 'pid-file', type: 'string', usage: 'write the process ID to this file' },
    { name: 'process-label', type: 'string', usage: 'not supported (SELinux); ignored with a warning' },
    { name: 'apparmor', type: 'string', usage: 'not supported (AppArmor); ignored with a warning' },
    { name: 'no-new-privs', type: 'bool', usage: 'set no_new_privs for the process' },
    { name: 'cap', type: 'strings', aliases: ['c'], usage: 'grant the process this capability as well' },
    { name: 'preserve-fds', type: 'int', usage: 'pass N additional file descriptors to the container' },
    { name: 'ignore-paused', type: 'bool', usage: 'run even when the container is paused' },
    { name: 'cgroup', type: 'strings', usage: 'not supported: the process joins the container\'s cgroup' },
  ],
  async run(ctx, flags, args) {
    requireArgs('exec', args, flags.process ? 1 : 2, !flags.process);
    const container = await loadContainer(ctx, args[0]!);
    if (container.status !== 'running' && !(container.status === 'paused' && flags['ignore-paused'])) {
      throw new TsdError('conflict', `cannot exec in a ${container.status} container`);
    }
    if (flags.apparmor || flags['process-label']) ctx.log.warn('AppArmor and SELinux are not supported by tsd-runc; ignored');
    const proc = flags.process ? readProcess(flags.process as string) : processFromFlags(container.record.spec.process!, flags, args.slice(1));
    const consoleSocket = flags['console-socket'] as string | undefined;
    // Attached with a terminal and no socket: the helper relays the pty to our stdio (like runc).
    if (proc.terminal && !consoleSocket && flags.detach) throw new TsdError('invalid-argument', 'cannot allocate tty if tsd-runc will detach without setting console socket (pass --console-socket)');
    if (!proc.terminal && consoleSocket) throw new TsdError('invalid-argument', 'cannot use console socket if tsd-runc will not provide a terminal');
    const spec = container.record.spec;
    const seccompConfig = spec.linux?.seccomp;
    const seccomp = seccompConfig
      ? await import('../seccomp/index.js').then((m) => ({ flags: m.seccompFlags(seccompConfig), filter: m.compileSeccomp(seccompConfig, process.arch) }))
      : undefined;
    const preserveFds = (flags['preserve-fds'] as number | undefined) ?? 0;
    const detach = Boolean(flags.detach);
    const plan = buildExecPlan({
      process: proc,
      initPid: container.record.pid,
      namespaces: (spec.linux?.namespaces ?? []).map((n) => n.type),
      attached: !detach,
      consoleSocket,
      preserveFds,
      seccomp,
    });
    if (ctx.log.debugEnabled) ctx.log.debug(`plan:\n${describePlan(plan)}`);
    const run = await startHelper(plan, {
      stdio: ['inherit', 'inherit', 'inherit'],
      preserveFds,
      debug: (m) => ctx.log.debug(m),
      onSync: (_point, pid) => container.cgroups.apply(pid),
    });
    if (flags['pid-file']) writePidFile(flags['pid-file'] as string, run.pid);
    if (detach) {
      run.release();
      return 0;
    }
    const forward = (signal: NodeJS.Signals) => killQuietly(run.pid, signal);
    for (const signal of FORWARDED) process.on(signal, forward);
    return await run.exitCode;
  },
};

function readProcess(path: string): Process {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Process;
  } catch (error) {
    throw new TsdError('invalid-argument', `--process ${path}: ${(error as Error).message}`);
  }
}

/** runc's defaults: the container's process, with the flags' changes. */
export function processFromFlags(base: Process, flags: FlagValues, args: string[]): Process {
  const proc: Process = structuredClone(base);
  proc.args = args;
  proc.terminal = Boolean(flags.tty);
  if (flags.cwd) proc.cwd = flags.cwd as string;
  proc.env = [...(base.env ?? []), ...((flags.env as string[] | undefined) ?? [])];
  if (flags.user) {
    const [uid, gid] = (flags.user as string).split(':');
    if (!/^\d+$/.test(uid ?? '') || (gid !== undefined && !/^\d+$/.test(gid))) {
      throw new TsdError('invalid-argument', `--user: expected <uid>[:<gid>], got ${JSON.stringify(flags.user)}`);
    }
    proc.user = { ...proc.user, uid: Number(uid), gid: gid === undefined ? proc.user.gid : Number(gid) };
  }
  if (flags['additional-gids']) proc.user.additionalGids = (flags['additional-gids'] as string[]).map(Number);
  if (flags['no-new-privs']) proc.noNewPrivileges = true;
  for (const cap of (flags.cap as string[] | undefined) ?? []) {
    const name = cap.toUpperCase() as CapabilityName;
    const caps = (proc.capabilities ??= {});
    for (const set of ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const) {
      if (set === 'inheritable' || set === 'ambient') continue;
      caps[set] = [...new Set([...(caps[set] ?? []), name])];
    }
  }
  return proc;
}
