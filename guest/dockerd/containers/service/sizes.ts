/** SizeRw (the container's own layer) and SizeRootFs (with the image) from the snapshotter's usage. */
import type { ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from './container-service.js';

export async function containerSizes(service: ContainerService, record: ContainerRecord): Promise<{ rw: number; rootFs: number }> {
  const { snapshots } = service.deps.containerd;
  const rw = await snapshots.usage(record.Internal.snapshotKey).then((u) => u.size, () => 0);
  let rootFs = rw;
  let parent = await snapshots.stat(record.Internal.snapshotKey).then((info) => info.parent, () => '');
  while (parent) {
    rootFs += await snapshots.usage(parent).then((u) => u.size, () => 0);
    parent = await snapshots.stat(parent).then((info) => info.parent, () => '');
  }
  return { rw, rootFs };
}
