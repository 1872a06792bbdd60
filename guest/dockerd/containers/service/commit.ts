/**
 * `docker commit` (dockerd's CreateImageFromContainer): the name checked first, then the
 * container (409 when dead or being removed), paused unless asked not to or already paused, the
 * request's Config (else the container's) with the `--change` lines applied and the container's
 * config merged in, and its overlay upper directory handed to the image module as the new layer.
 */
import { TsdError } from '../../../api/errors.js';
import { familiarReference, parseReference } from '../../../api/oci-image-spec.js';
import type { EngineContext } from '../../engine-context.js';
import { applyCommitChanges, mergeCommitConfig } from '../../images/commit-changes.js';
import { commitImage, commitReference } from '../../images/commit-image.js';
import type { ContainerConfig } from '../docker-types.js';
import type { ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from './container-service.js';
import { upperLayerTar } from './layer-tar.js';
import { pauseContainer, unpauseContainer } from './stop.js';

export interface CommitRequest {
  repo: string;
  tag: string;
  comment: string;
  author: string;
  pause: boolean;
  changes: string[];
  config?: ContainerConfig;
}

function option(options: string[], name: string): string | undefined {
  return options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
}

/** Validates the name before anything else, as dockerd does (a bad name is 400 even for a missing container). */
export function commitName(request: Pick<CommitRequest, 'repo' | 'tag'>): string | undefined {
  return commitReference(request.repo, request.tag);
}

export async function commitContainer(service: ContainerService, ctx: EngineContext, record: ContainerRecord, request: CommitRequest): Promise<string> {
  const name = commitName(request);
  if (record.State.Dead) throw new TsdError('conflict', `You cannot commit container ${record.ID} which is Dead`);
  if (record.State.Status === 'removing') throw new TsdError('conflict', `You cannot commit container ${record.ID} which is being removed`);
  const config = mergeCommitConfig(applyCommitChanges(request.config ?? record.Config, request.changes), record.Config);
  const [mount] = await service.deps.containerd.snapshots.mounts(record.Internal.snapshotKey);
  const upper = mount?.type === 'overlay' ? option(mount.options, 'upperdir') : undefined;
  if (!upper) throw new TsdError('unsupported', `commit needs an overlay snapshot (container ${record.ID} has ${mount?.type ?? 'none'})`);
  const parent = record.Image ? await ctx.images.resolve(record.Image) : undefined;
  const pause = request.pause && record.State.Running && !record.State.Paused;
  if (pause) await pauseContainer(service, record).catch(() => undefined);
  try {
    const skip = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', ...record.Mounts.map((m) => m.Destination), ...Object.keys(record.HostConfig.Tmpfs ?? {})]);
    const { id } = await commitImage(ctx, {
      parent, changes: upperLayerTar(upper, skip), config, containerCmd: record.Config.Cmd,
      author: request.author, comment: request.comment, names: name ? [name] : [],
    });
    service.event(record, 'commit', { comment: request.comment, imageID: id, imageRef: name ? familiarReference(parseReference(name)) : '' });
    return id;
  } finally {
    if (pause && record.State.Paused) await unpauseContainer(service, record).catch(() => undefined);
  }
}
