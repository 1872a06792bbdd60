/**
 * Without live-restore, running containers do not outlive dockerd (Docker's semantics): at a
 * SIGTERM of dockerd each is stopped as `docker stop` would (its stop signal, its stop timeout,
 * then SIGKILL), all at once; after a crash, the ones found still running are stopped the same
 * way at start (restore.ts). Such a stop is not a user's: it does not count as "manually
 * stopped", so the restart policies apply when the engine starts again.
 */
import type { ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from './container-service.js';
import { parseSignal } from './signals.js';
import { killAndWait } from './stop.js';

/** Docker's default stop timeout, in seconds. */
const DEFAULT_STOP_TIMEOUT = 10;

export async function shutdownContainer(service: ContainerService, record: ContainerRecord): Promise<void> {
  if (!record.State.Running) return;
  const live = service.live(record.ID);
  live.shuttingDown = true;
  try {
    if (record.State.Paused) await service.deps.containerd.tasks.resume(record.ID).catch(() => undefined);
    const signal = parseSignal(record.Config.StopSignal, 'SIGTERM');
    const seconds = record.Config.StopTimeout ?? DEFAULT_STOP_TIMEOUT;
    service.event(record, 'kill', { signal: String(signal) });
    if (!(await killAndWait(service, record, signal, seconds < 0 ? undefined : seconds * 1000))) {
      service.event(record, 'kill', { signal: '9' });
      await killAndWait(service, record, 9);
    }
    service.event(record, 'stop');
  } finally {
    live.shuttingDown = false;
  }
}

/** The engine is closing: with live-restore off, every running container is stopped. */
export async function shutdownContainers(service: ContainerService, liveRestore: boolean): Promise<void> {
  if (liveRestore) return;
  const running = service.store.all().filter((record) => record.State.Running);
  await Promise.all(running.map((record) => shutdownContainer(service, record).catch((error: Error) => {
    console.error(`dockerd: stopping ${record.ID.slice(0, 12)} at shutdown: ${error.message}`);
  })));
}

/**
 * Whether a stopped container is started when the engine starts (Docker's restart manager at
 * daemon start, restartmanager.ShouldRestart): always — even after a user's stop; unless-stopped —
 * unless a user stopped it; on-failure — after a non-zero exit (the retries count afresh).
 */
export function restartsAtEngineStart(record: ContainerRecord): boolean {
  if (record.State.Running || !record.Internal.hasBeenStarted) return false;
  switch (record.HostConfig.RestartPolicy?.Name) {
    case 'always':
      return true;
    case 'unless-stopped':
      return !record.Internal.manuallyStopped;
    case 'on-failure':
      // Docker's restart manager is new at daemon start: no retry is counted yet.
      return record.State.ExitCode !== 0;
    default:
      return false;
  }
}
