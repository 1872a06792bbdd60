/**
 * The shim server: a child subreaper serving containerd.task.v2.Task over ttrpc on the group's
 * socket, publishing task events to containerd. It exits when Shutdown finds no task left.
 * A crash would orphan every task it serves, so stray errors are logged, never fatal.
 */
import { rmSync, writeSync, closeSync } from 'node:fs';
import { serviceHandlers, TtrpcServer } from '../ttrpc/index.js';
import { EventPublisher } from './event-publisher.js';
import { GROUP_DIR } from './group.js';
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
  const exit = async (): Promise<void> => {
    log('info', 'shutting down: no task left');
    await events.flush(5000);
    await server.close();
    rmSync(flags.socket, { force: true });
    // The group's dir (cwd, holding shim.log) goes with a clean exit; a crashed shim's stays.
    if (process.cwd().startsWith(`${GROUP_DIR}/`)) rmSync(process.cwd(), { recursive: true, force: true });
    process.exit(0);
  };
  const service = new TaskService(flags.namespace, reaper, events, () => void exit());
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
