/**
 * `docker commit`: the container's upper directory as a new layer on top of its image's layers,
 * a config that is the image's with the container's Config (and the request's overrides and
 * `--change` lines), written through the image module's writer (one lease, named or dangling).
 */
import type { ImageConfig } from '../../../api/oci-image-spec.js';

/** Docker's media type of an uncompressed layer (what commit writes; digest = diff ID). */
const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';
import { TsdError } from '../../../api/errors.js';
import type { EngineContext } from '../../engine-context.js';
import { writeBlob, writeImage } from '../../images/image-writer.js';
import type { ContainerConfig } from '../docker-types.js';
import type { ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from './container-service.js';
import { upperLayerTar } from './layer-tar.js';
import { dockerTime } from '../store/container-record.js';

export interface CommitRequest {
  repo: string;
  tag: string;
  comment: string;
  author: string;
  pause: boolean;
  changes: string[];
  config?: ContainerConfig;
}

/** The Dockerfile instructions `--change` accepts, applied to a config. */
export function applyChanges(config: ContainerConfig, changes: string[]): ContainerConfig {
  const next: ContainerConfig = { ...config };
  const list = (value: string): string[] => (value.trim().startsWith('[') ? (JSON.parse(value) as string[]) : ['/bin/sh', '-c', value.trim()]);
  for (const change of changes.flatMap((c) => c.split('\n')).map((c) => c.trim()).filter(Boolean)) {
    const [keyword = '', ...rest] = change.split(/\s+/);
    const value = change.slice(keyword.length).trim();
    switch (keyword.toUpperCase()) {
      case 'CMD': next.Cmd = list(value); break;
      case 'ENTRYPOINT': next.Entrypoint = list(value); break;
      case 'WORKDIR': next.WorkingDir = value; break;
      case 'USER': next.User = value; break;
      case 'STOPSIGNAL': next.StopSignal = value; break;
      case 'ENV': {
        const pairs = value.includes('=') ? rest.map((p) => p) : [`${rest[0]}=${rest.slice(1).join(' ')}`];
        const env = [...(next.Env ?? [])];
        for (const pair of pairs) {
          const key = pair.split('=')[0]!;
          const at = env.findIndex((e) => e.split('=')[0] === key);
          if (at >= 0) env[at] = pair;
          else env.push(pair);
        }
        next.Env = env;
        break;
      }
      case 'LABEL':
        next.Labels = { ...(next.Labels ?? {}), ...Object.fromEntries(rest.map((p) => [p.split('=')[0]!, p.slice(p.indexOf('=') + 1).replace(/^"|"$/g, '')])) };
        break;
      case 'EXPOSE':
        next.ExposedPorts = { ...(next.ExposedPorts ?? {}), ...Object.fromEntries(rest.map((p) => [p.includes('/') ? p : `${p}/tcp`, {}])) };
        break;
      default:
        throw new TsdError('invalid-argument', `${keyword} is not a valid change command`);
    }
  }
  return next;
}

function option(options: string[], name: string): string | undefined {
  return options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
}

export async function commitContainer(service: ContainerService, ctx: EngineContext, record: ContainerRecord, request: CommitRequest): Promise<string> {
  const names = request.repo ? [`${request.repo}:${request.tag || 'latest'}`] : [];
  const [mount] = await service.deps.containerd.snapshots.mounts(record.Internal.snapshotKey);
  const upper = mount?.type === 'overlay' ? option(mount.options, 'upperdir') : undefined;
  if (!upper) throw new TsdError('unsupported', `commit needs an overlay snapshot (container ${record.ID} has ${mount?.type ?? 'none'})`);
  const image = await ctx.images.resolve(record.Image);
  const pause = request.pause && record.State.Running && !record.State.Paused;
  if (pause) await service.deps.containerd.tasks.pause(record.ID);
  let layer;
  try {
    const skip = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', ...record.Mounts.map((m) => m.Destination), ...Object.keys(record.HostConfig.Tmpfs ?? {})]);
    layer = await writeBlob(ctx.containerd.content, upperLayerTar(upper, skip), DOCKER_LAYER_TAR);
  } finally {
    if (pause) await service.deps.containerd.tasks.resume(record.ID).catch(() => undefined);
  }
  const { Hostname: _h, Domainname: _d, Image: _i, AttachStdin: _a, AttachStdout: _o, AttachStderr: _e, ...containerConfig } = applyChanges({ ...record.Config, ...(request.config ?? {}) }, request.changes);
  const created = dockerTime();
  const config: ImageConfig = {
    ...image.config,
    created,
    ...(request.author ? { author: request.author } : {}),
    config: containerConfig as ImageConfig['config'],
    rootfs: { type: 'layers', diff_ids: [...image.config.rootfs.diff_ids, layer.digest] },
    history: [...(image.config.history ?? []), { created, created_by: [record.Path, ...record.Args].join(' '), ...(request.comment ? { comment: request.comment } : {}), ...(request.author ? { author: request.author } : {}) }],
  };
  const { id } = await writeImage(ctx, { config, layers: [...image.manifest.layers, layer], names });
  service.event(record, 'commit', { comment: request.comment, imageID: id, imageRef: names[0] ?? '' });
  return id;
}
