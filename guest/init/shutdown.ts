/**
 * Clean shutdown: stop the services, end every other process, sync, unmount what the init mounted
 * (in reverse order; a busy filesystem is remounted read-only instead), then reboot(2).
 */
import { TsdError } from '../api/errors.js';
import { MS_RDONLY, mount, umount } from '../sys/mount.js';
import { rebootSystem, syncDisks, type PowerAction } from '../sys/power.js';
import type { LogLine } from './console-log.js';
import { runCommand } from './run-command.js';
import type { Supervisor } from './supervisor.js';

const MS_REMOUNT = 0x20;

export interface ShutdownContext {
  log: LogLine;
  supervisor?: Supervisor;
  /** Mount points the init made that must be unmounted, in the order they were mounted. */
  mounted: string[];
}

export async function shutdown(context: ShutdownContext, action: PowerAction): Promise<never> {
  const { log } = context;
  log(`shutdown: ${action}`);
  await context.supervisor?.stopAll(5000).catch((error: Error) => log(`stopping services: ${error.message}`));
  await endAllProcesses(log);
  safely(log, 'sync', syncDisks);
  for (const target of [...context.mounted].reverse()) {
    safely(log, `unmount ${target}`, () => {
      try {
        umount(target);
      } catch (error) {
        // Busy (a process we could not end holds a file): read-only keeps the filesystem consistent.
        mount('', target, '', MS_REMOUNT | MS_RDONLY);
        log(`${target} busy (${(error as Error).message}); remounted read-only`);
      }
    });
  }
  safely(log, 'sync', syncDisks);
  log(`shutdown: ${action} now`);
  safely(log, `reboot(${action})`, () => rebootSystem(action));
  // Only reached when the syscall failed (no koffi?): busybox can do it too.
  await runCommand([action, '-f']).catch((error: Error) => log(`${action} -f: ${error.message}`));
  throw new TsdError('internal', `could not ${action}`);
}

/** SIGTERM to every process but PID 1 (tini) and ourselves, a moment to exit, then SIGKILL. */
async function endAllProcesses(log: LogLine): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    try {
      process.kill(-1, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') log(`kill -1 ${signal}: ${(error as Error).message}`);
      return;
    }
    if (signal === 'SIGTERM') await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function safely(log: LogLine, what: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    log(`${what}: ${(error as Error).message}`);
  }
}
