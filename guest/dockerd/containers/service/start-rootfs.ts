/**
 * What a start needs from the container's filesystem: the process user (from its /etc/passwd and
 * /etc/group), a missing WorkingDir created, and its volumes (a new one filled from the image's
 * directory, Docker's copy-up).
 *
 * Mounting the rootfs for this cost a mount and an umount on every start (the umount alone took
 * 11–383 ms in the benchmark timelines). So the layers are read in place (layered-root.ts) and the
 * WorkingDir is made in the upper layer. The rootfs is still mounted when a volume may need the
 * image's content: copying a directory out of the merged view is what the mount is exact for
 * (whiteouts and opaque directories at any depth below it). That copy happens at create, as in
 * Docker, so a start mounts only for a volume still empty (a container created before, or one
 * whose volume was emptied). It is also mounted when the layers cannot answer exactly
 * (`NotExact`, e.g. an overlay option or a redirect we do not model).
 */
import { mkdir, readdir } from 'node:fs/promises';
import { TsdError } from '../../../api/errors.js';
import type { MountPoint } from '../docker-types.js';
import type { Spec } from '../../../api/oci-runtime-spec.js';
import { parseGroup, parsePasswd, resolveUser, resolveUserInRootfs, type ResolvedUser } from '../spec/user.js';
import type { MountMessage } from '../../containerd/types.js';
import type { ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from './container-service.js';
import { LayeredRoot, layerStack, NotExact } from './layered-root.js';
import { copyFromRootfs, copyUpDestinations, createMountPoints, resolveMounts } from './resolve-mounts.js';
import { withRootfs } from './rootfs-mount.js';
import { resolveInRoot } from './secure-path.js';

export interface StartFilesystem {
  user: ResolvedUser;
  mounts: { oci: NonNullable<Spec['mounts']>; points: MountPoint[] };
}

/** Docker creates a missing WorkingDir at mode 0755, owned by the daemon's root (not the container's user). */
const WORKDIR_MODE = 0o755;

export async function prepareStartFilesystem(service: ContainerService, record: ContainerRecord, rootfsMounts: MountMessage[], tmpRoot: string): Promise<StartFilesystem> {
  const stack = layerStack(rootfsMounts);
  if (stack) {
    try {
      return await fromLayers(service, record, await LayeredRoot.open(stack));
    } catch (error) {
      if (!(error instanceof NotExact)) throw error;
    }
  }
  const config = record.Config;
  return await withRootfs(rootfsMounts, tmpRoot, async (rootfs) => {
    const user = await resolveUserInRootfs(rootfs, config.User ?? '', record.HostConfig.GroupAdd ?? []);
    if (config.WorkingDir) await makeWorkdirIn(await resolveInRoot(rootfs, config.WorkingDir), config.WorkingDir);
    return { user, mounts: await resolveMounts(service, record, copyFromRootfs(rootfs)) };
  });
}

/**
 * Throws NotExact when the mount is needed: before any change for a copy-up; while making the
 * WorkingDir, after directories the mounted path would make the same way.
 */
async function fromLayers(service: ContainerService, record: ContainerRecord, root: LayeredRoot): Promise<StartFilesystem> {
  for (const destination of copyUpDestinations(record)) {
    if (!(await root.stat(destination))?.isDirectory()) continue;
    // The copy-up fills an empty volume only: a volume with content (a restart) needs no mount.
    const volume = record.Mounts.find((m) => m.Type === 'volume' && m.Destination === destination);
    if (volume?.Source && (await readdir(volume.Source).catch(() => [])).length > 0) continue;
    throw new NotExact(`the volume at ${destination} may take the image's content`);
  }
  const config = record.Config;
  const [passwd, group] = await Promise.all([root.readText('/etc/passwd'), root.readText('/etc/group')]);
  const user = resolveUser(config.User ?? '', parsePasswd(passwd), parseGroup(group), record.HostConfig.GroupAdd ?? []);
  if (config.WorkingDir) await root.makeDirectories(config.WorkingDir, WORKDIR_MODE, 0, 0);
  return { user, mounts: await resolveMounts(service, record, async () => undefined) };
}

/**
 * Create's filesystem work, as Docker's createContainerVolumesOS: a missing WorkingDir is made (so
 * `docker create -w` on a file fails there and `docker diff` of a created container shows it) and
 * the mount points registered, new volumes filled with the image's content. Returns inspect's
 * Mounts. The rootfs is mounted only for that copy-up; the start redoes neither when done.
 */
export async function prepareCreateFilesystem(service: ContainerService, record: ContainerRecord, rootfsMounts: MountMessage[], tmpRoot: string): Promise<MountPoint[]> {
  const workingDir = record.Config.WorkingDir;
  const copyUps = copyUpDestinations(record);
  // Nothing to read or make in the rootfs (most creates): its layers are not even opened.
  if (!workingDir && copyUps.length === 0) return await createMountPoints(service, record);
  const stack = layerStack(rootfsMounts);
  if (stack) {
    try {
      const root = await LayeredRoot.open(stack);
      for (const destination of copyUps) {
        if ((await root.stat(destination))?.isDirectory()) throw new NotExact(`the volume at ${destination} may take the image's content`);
      }
      if (workingDir) await root.makeDirectories(workingDir, WORKDIR_MODE, 0, 0);
      return await createMountPoints(service, record);
    } catch (error) {
      if (!(error instanceof NotExact)) throw error;
    }
  }
  await mkdir(tmpRoot, { recursive: true });
  return await withRootfs(rootfsMounts, tmpRoot, async (rootfs) => {
    if (workingDir) await makeWorkdirIn(await resolveInRoot(rootfs, workingDir), workingDir);
    return await createMountPoints(service, record, copyFromRootfs(rootfs));
  });
}

async function makeWorkdirIn(path: string, workingDir: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: WORKDIR_MODE }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST' || error.code === 'ENOTDIR') throw new TsdError('invalid-argument', `Cannot mkdir: ${workingDir} is not a directory`);
    throw error;
  });
}
