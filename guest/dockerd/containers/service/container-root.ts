/**
 * Access to a container's filesystem for cp, export and diff: a running container through its
 * init's /proc/<pid>/root (volumes and binds included, as the container sees them), a stopped
 * one by mounting its snapshot for the duration of the work.
 */
import { mkdir } from 'node:fs/promises';
import type { ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from './container-service.js';
import { withRootfs } from './rootfs-mount.js';
import { containerExecDir } from './run.js';

export async function withContainerRoot<T>(service: ContainerService, record: ContainerRecord, work: (root: string) => Promise<T>): Promise<T> {
  if (record.State.Running && record.State.Pid > 0) return work(`/proc/${record.State.Pid}/root`);
  const mounts = await service.deps.containerd.snapshots.mounts(record.Internal.snapshotKey);
  const dir = containerExecDir(service, record.ID);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return withRootfs(mounts, dir, work);
}
