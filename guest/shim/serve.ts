/**
 * The shim server: a child subreaper serving containerd.task.v2.Task over ttrpc on the group's
 * socket, publishing task events to containerd. It exits once it has had no task and no client
 * connection for a grace period (idle-linger.ts), so back-to-back runs reuse it; Shutdown with
 * `now` ends it at once.
 * A crash would orphan every task it serves, so stray errors are logged, never fatal.
 */
import { closeSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { serviceHandlers, TtrpcServer } from '../ttrpc/index.js';
import { EventPublisher } from './event-publisher.js';
import { GROUP_DIR, withGroupLock } from './group.js';
import { idleLingerMs } from './idle-linger.js';
import type { ShimFlags } from './flags.js';
import { Reaper } from './reaper.js';
import { enableDebug, log } from './shim-log.js';
import { shimProtos, TASK_SERVICE } from './shim-protos.js';
import { TaskService } from './task-service.js';

/** fd 3: the pipe the start verb waits on. */
const READY_FD = 3;

export async function serve(flags: ShimFlags): Promise<void> {
  if (flags.debug) enableDebug();
  process.on('uncaughtException', (error) => log('error', 'uncaught exception', { error: error.stack ?? String(error) }));
  process.on('unhandledRejection', (error) => log('error', 'unhandled rejection', { error: (error as Error)?.stack ?? String(error) }));
  const reaper = new Reaper();
  reaper.start();
  const events = new EventPublisher(process.env['TTRPC_ADDRESS'] || `${flags.address}.ttrpc`, flags.namespace);
  const server = new TtrpcServer();
  const lingerMs = idleLingerMs();
  let exiting = false;
  let quietUntil = 0;
  let timer: NodeJS.Timeout | undefined;
  const exit = async (why: string): Promise<void> => {
    log('info', `shutting down: ${why}`);
    await events.flush(5000);
    process.exit(0);
  };
  // Leave only when idle (no task, no client, no reservation, quiet for the grace period) and
  // under the group's start lock. The start verb calls Connect under that lock before it hands
  // this address out, which reserves the shim for containerd's coming connection: an exit and a
  // start never cross (a start that finds the socket gone spawns a new server).
  const unused = (): boolean => service.taskCount === 0 && server.connectionCount === 0;
  const idleAt = (): number => Math.max(service.reservedUntil, quietUntil);
  const idle = (): boolean => unused() && Date.now() >= idleAt();
  /** Checks again when the shim could next be idle. */
  const schedule = (): void => {
    if (exiting || !unused()) return;
    clearTimeout(timer);
    timer = setTimeout(() => void tryExit(), Math.max(0, idleAt() - Date.now()) + 100);
  };
  /** Something happened (a client left, a Shutdown): the grace period starts again. */
  const activity = (): void => {
    quietUntil = Date.now() + lingerMs;
    schedule();
  };
  const tryExit = async (): Promise<void> => {
    if (exiting) return;
    if (!idle()) return schedule();
    exiting = true;
    const groupDir = process.cwd().startsWith(`${GROUP_DIR}/`) ? process.cwd() : undefined;
    const release = async (): Promise<void> => {
      if (!idle()) {
        exiting = false; // a start reserved it meanwhile
        return;
      }
      await server.close();
      rmSync(flags.socket, { force: true });
      if (groupDir) rmSync(join(groupDir, 'shim.log'), { force: true });
    };
    try {
      if (groupDir) await withGroupLock(groupDir, release);
      else await release();
    } catch (error) {
      // e.g. the lock held for a minute: stay, and try again later rather than never
      log('error', 'idle exit failed', { error: (error as Error).message });
      exiting = false;
    }
    if (!exiting) return schedule();
    if (groupDir) {
      try {
        rmdirSync(groupDir);
      } catch {
        // a new start is using it
      }
    }
    await exit(`no task for ${lingerMs / 1000} s`);
  };
  const service = new TaskService(flags.namespace, reaper, events, (now) => {
    if (now) return void exit('Shutdown now');
    activity();
  });
  // The start verb that spawned this server hands its address out next: reserved as by Connect.
  service.reserve();
  server.onConnectionClosed(activity);
  server.register(TASK_SERVICE, serviceHandlers(shimProtos(), TASK_SERVICE, service.handlers()));
  await server.listen(flags.socket);
  log('info', 'shim serving', { socket: flags.socket, pid: process.pid, namespace: flags.namespace, idleSeconds: lingerMs / 1000 });
  activity();
  try {
    writeSync(READY_FD, 'ready\n');
    closeSync(READY_FD);
  } catch {
    // started by hand, without the start verb
  }
}
