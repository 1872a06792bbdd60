/** `docker rm`: refuses a running container unless forced; removes snapshot, network endpoint, volumes (-v), directory. */
import { TsdError } from '../../../api/errors.js';
import type { ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from './container-service.js';
import { killAndWait } from './stop.js';

export async function removeContainer(service: ContainerService, record: ContainerRecord, options: { force: boolean; volumes: boolean }): Promise<void> {
  const live = service.live(record.ID);
  if (record.State.Status === 'removing' || live.busy === 'removing') {
    throw new TsdError('conflict', `removal of container ${record.ID} is already in progress`);
  }
  if ((record.State.Running || record.State.Restarting) && !options.force) {
    const what = record.State.Paused ? 'container is paused and must be unpaused first' : 'container is running: stop the container before removing or force remove';
    throw new TsdError('conflict', `cannot remove container "${record.Name}": ${what}`);
  }
  if (live.restartTimer) clearTimeout(live.restartTimer);
  live.restartTimer = undefined;
  record.Internal.manuallyStopped = true;
  // A start in flight (a policy restart) finishes first, then is undone like any running container.
  if (live.busy === 'starting') await new Promise((resolve) => live.once('idle', resolve));
  if (record.State.Running) {
    if (record.State.Paused) await service.deps.containerd.tasks.resume(record.ID).catch(() => undefined);
    await killAndWait(service, record, 9);
  }
  live.busy = 'removing';
  record.State.Status = 'removing';
  const { containerd } = service.deps;
  // containerd's objects (task, container, then the snapshot) and the network record at once; the
  // container's own record goes last, so a failure or a crash before it leaves a container to rm again.
  const containerdObjects = async (): Promise<void> => {
    if (!live.containerdClean) {
      await containerd.tasks.delete(record.ID).catch(() => undefined);
      await containerd.containers.delete(record.ID).catch(() => undefined);
    }
    await containerd.snapshots.remove(record.Internal.snapshotKey).catch((error: TsdError) => {
      if (error.code !== 'not-found') throw error;
    });
  };
  const network = async (): Promise<void> => {
    await service.deps.networking()?.release(record.ID).catch(() => undefined);
  };
  const [objects] = await Promise.allSettled([containerdObjects(), network()]);
  if (objects.status === 'rejected') throw objects.reason;
  await service.store.delete(record);
  await service.deps.volumes.forget?.(record.ID).catch(() => undefined);
  if (options.volumes && record.Internal.anonymousVolumes.length > 0) await service.deps.volumes.remove(record.Internal.anonymousVolumes).catch(() => undefined);
  service.event(record, 'destroy');
  live.busy = undefined;
  live.emit('removed');
  service.forget(record.ID);
}
