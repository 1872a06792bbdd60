/**
 * Naming images in containerd as Docker's containerd store does: one record per full reference.
 * When a name moves to another target (a newer pull, a tag, a load) or is removed while the old
 * image must stay (a container uses it), the old target keeps a `moby-dangling@<digest>` record
 * so that it remains listed as `<none>:<none>` instead of being garbage collected.
 */
import type { ContainerdClient } from '../containerd/containerd-client.js';
import type { ImageRecord } from '../containerd/images.js';
import type { DescriptorMessage } from '../containerd/types.js';
import { DANGLING_PREFIX, isDangling } from './image-record.js';

/** Points `name` at `target`; returns the record it replaced, if the target changed. */
export async function setImageName(containerd: ContainerdClient, name: string, target: DescriptorMessage): Promise<ImageRecord | undefined> {
  const previous = await containerd.images.get(name).catch(() => undefined);
  const descriptor = { mediaType: target.mediaType, digest: target.digest, size: Number(target.size) };
  await containerd.images.put({ name, target: descriptor, labels: previous?.labels ?? {} });
  // The new target is named now: its dangling record (if any) has no job left.
  await containerd.images.delete(`${DANGLING_PREFIX}${target.digest}`).catch(() => undefined);
  if (previous && previous.target.digest !== target.digest) {
    await keepIfUnnamed(containerd, previous.target);
    return previous;
  }
  return undefined;
}

/** Removes a name; keeps the target as dangling when `keep` and nothing else names it. */
export async function removeImageName(containerd: ContainerdClient, name: string, keep: boolean): Promise<void> {
  const record = await containerd.images.get(name);
  await containerd.images.delete(name);
  if (keep) await keepIfUnnamed(containerd, record.target);
}

async function keepIfUnnamed(containerd: ContainerdClient, target: DescriptorMessage): Promise<void> {
  // Filtered here rather than with a containerd filter: the list is small and every containerd agrees.
  const others = (await containerd.images.list()).filter((record) => record.target.digest === target.digest);
  if (others.some((record) => !isDangling(record))) return;
  await containerd.images.put({ name: `${DANGLING_PREFIX}${target.digest}`, target: { mediaType: target.mediaType, digest: target.digest, size: Number(target.size) } });
}
