/**
 * The shim server: a child subreaper serving containerd.task.v2.Task over ttrpc on the group's
 * socket, publishing task events to containerd. After a Shutdown it exits once it has no task and
 * no client connection (a group shim outlives its first task's Shutdown while others remain).
 * A crash would orphan every task it serves, so stray errors are logged, never fatal.
 */
import { closeSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { serviceHandlers, TtrpcServer } from '../ttrpc/index.js';
import { EventPublisher } from './event-publisher.js';
import { GROUP_DIR, withGroupLock } from './group.js';
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
  let shutdownRequested = false;
  let exiting = false;
  const exit = async (): Promise<void> => {
    log('info', 'shutting down: no task left');
    await events.flush(5000);
    process.exit(0);
  };
  // Leave only when idle (no task, no client, no recent start) and under the group's start lock.
  // The start verb calls Connect under that lock before it hands this address out, which
  // reserves the shim for containerd's coming connection: an exit and a start never cross.
  const idle = (): boolean => service.taskCount === 0 && server.connectionCount === 0 && Date.now() >= service.reservedUntil;
  const tryExit = async (): Promise<void> => {
    if (exiting || !shutdownRequested) return;
    if (!idle()) {
      if (service.taskCount === 0 && server.connectionCount === 0) setTimeout(() => void tryExit(), service.reservedUntil - Date.now() + 100);
      return;
    }
    exiting = true;
    const groupDir = process.cwd().startsWith(`${GROUP_DIR}/`) ? process.cwd() : undefined;
    const release = async (): Promise<void> => {
      if (!idle()) {
        exiting = false;
        return;
      }
      await server.close();
      rmSync(flags.socket, { force: true });
      if (groupDir) rmSync(join(groupDir, 'shim.log'), { force: true });
    };
    if (groupDir) await withGroupLock(groupDir, release);
    else await release();
    if (!exiting) return;
    if (groupDir) {
      try {
        rmdirSync(groupDir);
      } catch {
        // a new start is using it
      }
    }
    await exit();
  };
  const scheduleExit = (): void => {
    if (shutdownRequested) setTimeout(() => void tryExit(), 1000);
  };
  const service = new TaskService(flags.namespace, reaper, events, (now) => {
    if (now) return void exit();
    shutdownRequested = true;
    scheduleExit();
  });
  server.onConnectionClosed(scheduleExit);
  server.register(TASK_SERVICE, serviceHandlers(shimProtos(), TASK_SERVICE, service.handlers()));
  await server.listen(flags.socket);
  log('info', 'shim serving', { socket: flags.socket, pid: process.pid, namespace: flags.namespace });
  try {
    writeSync(READY_FD, 'ready\n');
    closeSync(READY_FD);
  } catch {
    // started by hand, without the start verb
  }
}
