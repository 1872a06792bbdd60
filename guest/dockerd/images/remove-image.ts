/**
 * DELETE /images/{name} and POST /images/prune with Docker's rules:
 *  - by name: untag that name; when it was the image's last name, delete the image;
 *  - by ID: delete the image and all its names; an image named in several repositories needs force;
 *  - an image a container uses is not deleted: 409 without force; with force the names go and the
 *    image stays as dangling (the container still needs its layers).
 * Content and snapshots are then released by containerd's garbage collector (nothing holds them).
 */
import { TsdError } from '../../api/errors.js';
import { familiarReference, formatReference } from '../../api/oci-image-spec.js';
import type { EngineContext } from '../engine-context.js';
import { removeImageName } from './image-names.js';
import { isDangling, repoDigests, repoTags, safeParse, type LoadedImage } from './image-record.js';
import { imageSize } from './image-json.js';

export type DeleteResponseItem = { Untagged: string } | { Deleted: string };

export async function removeImage(ctx: EngineContext, nameOrId: string, force: boolean): Promise<DeleteResponseItem[]> {
  const image = await ctx.images.resolve(nameOrId);
  const users = (await ctx.containers?.usingImage(image.id)) ?? [];
  const byName = isName(nameOrId, image);
  const names = image.records.filter((r) => !isDangling(r));
  const short = image.id.slice('sha256:'.length, 'sha256:'.length + 12);
  const items: DeleteResponseItem[] = [];

  // The names this request removes: the one given, or for `repo@digest` every name of that repository.
  const given = safeParse(nameOrId);
  const targeted = byName
    ? names.filter((r) => {
        const ref = safeParse(r.name);
        if (!ref || !given) return false;
        return given.digest === undefined ? r.name === formatReference(given) : ref.domain === given.domain && ref.path === given.path;
      })
    : names;
  if (byName && targeted.length < names.length) {
    // Untag only: the image keeps its other names.
    for (const record of targeted) {
      await removeImageName(ctx.containerd, record.name, false);
      const untagged = familiarReference(safeParse(record.name)!);
      items.push({ Untagged: untagged });
      ctx.events.publish({ type: 'image', action: 'untag', actor: image.id, attributes: { name: untagged } });
    }
    return items;
  }
  if (!byName && names.length > 1 && !force) {
    throw new TsdError('conflict', `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
  }
  if (users.length > 0) {
    const [user] = users;
    const userShort = user!.id.slice(0, 12);
    if (!force) {
      throw new TsdError(
        'conflict',
        byName
          ? `conflict: unable to remove repository reference "${nameOrId}" (must force) - container ${userShort} is using its referenced image ${short}`
          : `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${userShort}`,
      );
    }
    if (!byName && users.some((u) => u.running)) {
      throw new TsdError('conflict', `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${userShort}`);
    }
    // Forced with a container on it: the names go, the image stays (dangling) for the container.
    for (const record of names) {
      await removeImageName(ctx.containerd, record.name, true);
      items.push({ Untagged: familiarReference(safeParse(record.name)!) });
      ctx.events.publish({ type: 'image', action: 'untag', actor: image.id, attributes: { name: familiarReference(safeParse(record.name)!) } });
    }
    return items;
  }
  return await deleteImage(ctx, image);
}

/** Deletes every record of the image and reports what Docker reports. */
async function deleteImage(ctx: EngineContext, image: LoadedImage): Promise<DeleteResponseItem[]> {
  const items: DeleteResponseItem[] = [];
  for (const tag of repoTags(image)) items.push({ Untagged: tag });
  for (const digest of repoDigests(image)) items.push({ Untagged: digest });
  // The last delete waits for containerd's garbage collection: content and snapshots are gone when we answer.
  for (const [i, record] of image.records.entries()) {
    await ctx.containerd.images.delete(record.name, { sync: i === image.records.length - 1 }).catch(() => undefined);
  }
  for (const item of items) ctx.events.publish({ type: 'image', action: 'untag', actor: image.id, attributes: { name: (item as { Untagged: string }).Untagged } });
  items.push({ Deleted: image.id });
  ctx.events.publish({ type: 'image', action: 'delete', actor: image.id, attributes: { name: image.id } });
  return items;
}

/** Whether the user named the image (a reference) rather than its ID. */
function isName(nameOrId: string, image: LoadedImage): boolean {
  const ref = safeParse(nameOrId);
  if (!ref) return false;
  const full = formatReference(ref);
  return image.records.some((r) => r.name === full) || (ref.digest !== undefined);
}

/** Prunes dangling images (or, with dangling=false, every image no container uses). */
export async function pruneImages(
  ctx: EngineContext, options: { all: boolean; labels: (labels: Record<string, string> | undefined) => boolean; until?: number },
): Promise<{ ImagesDeleted: DeleteResponseItem[] | null; SpaceReclaimed: number }> {
  const deleted: DeleteResponseItem[] = [];
  let reclaimed = 0;
  for (const image of await ctx.images.list()) {
    const dangling = image.records.every(isDangling);
    if (!options.all && !dangling) continue;
    if (!options.labels(image.config.config?.Labels)) continue;
    if (options.until !== undefined && Math.min(...image.records.map((r) => r.createdAt.getTime())) > options.until) continue;
    if (((await ctx.containers?.usingImage(image.id)) ?? []).length > 0) continue;
    const size = await imageSize(ctx.containerd, image);
    deleted.push(...(await deleteImage(ctx, image)));
    reclaimed += size;
  }
  ctx.events.publish({ type: 'image', action: 'prune', actor: '', attributes: { reclaimed: String(reclaimed) } });
  return { ImagesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
}
