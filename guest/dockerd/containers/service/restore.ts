/**
 * At engine start: reconcile each stored container with containerd. A task still running gets its
 * FIFOs reopened and its exit monitored again; with live-restore it runs on, without it is stopped
 * (stop signal, stop timeout, SIGKILL — dockerd's restore). A task that exited while the engine was
 * down is recorded as exited. Then restart policies apply as at Docker's daemon start
 * (restartsAtEngineStart).
 */
import type { ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from './container-service.js';
import { ProcessStdio, stdioPaths } from '../io/stdio.js';
import { attachOutput, containerExecDir, handleExit, monitorExit, startContainer } from './run.js';
import { startHealthcheck } from './healthcheck.js';
import { restartsAtEngineStart, shutdownContainer } from './shutdown.js';

export async function restoreContainers(service: ContainerService): Promise<void> {
  const { tasks } = service.deps.containerd;
  const toStart: ContainerRecord[] = [];
  const toStop: ContainerRecord[] = [];
  for (const record of service.store.all()) {
    let task;
    try {
      task = await tasks.find(record.ID);
    } catch (error) {
      // containerd did not answer: leave the record as it is rather than call a live container dead.
      console.error(`dockerd: restore ${record.ID.slice(0, 12)}: ${(error as Error).message}`);
      continue;
    }
    const live = service.live(record.ID);
    if (record.State.Status === 'removing') {
      record.State.Status = 'dead';
      record.State.Dead = true;
      await service.save(record);
      continue;
    }
    if (task && (task.status === 'RUNNING' || task.status === 'PAUSED') && record.State.Running) {
      const paths = stdioPaths(containerExecDir(service, record.ID), 'init', { stdin: !!record.Config.OpenStdin, terminal: !!record.Config.Tty });
      try {
        attachOutput(service, record, ProcessStdio.open(paths));
        live.emit('stdio');
      } catch {
        // FIFOs gone (exec root cleared): the container runs on, its output is lost.
      }
      live.generation++;
      record.State.Paused = task.status === 'PAUSED';
      record.State.Status = record.State.Paused ? 'paused' : 'running';
      live.stopHealth = startHealthcheck(service, record);
      await service.save(record);
      void monitorExit(service, record, live.generation);
      if (service.deps.liveRestore) continue;
      // live-restore off: it should not have outlived the engine; stop it (not as a user would).
      toStop.push(record);
      continue;
    }
    if (record.State.Running || record.State.Restarting) {
      // It ended while we were away: record the exit (and let the policy decide below).
      record.State.Running = true;
      await handleExit(service, record, live.generation, task?.exitStatus ?? 255).catch(() => undefined);
      if (record.State.Restarting) continue; // handleExit scheduled it
    }
    if (restartsAtEngineStart(record)) toStart.push(record);
  }
  await Promise.all(toStop.map((record) => shutdownContainer(service, record).catch((error: Error) => {
    console.error(`dockerd: restore ${record.ID.slice(0, 12)}: stopping it (live-restore is off): ${error.message}`);
  })));
  for (const record of toStop) if (restartsAtEngineStart(record)) toStart.push(record);
  for (const record of toStart) await startContainer(service, record).catch(() => undefined);
}
