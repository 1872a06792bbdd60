/**
 * POST /images/{name}/push?tag=…: pushes from containerd's content store with the shared registry
 * client, streaming Docker's progress ("The push refers to repository [...]", per-layer lines,
 * "<tag>: digest: sha256:… size: N" and the aux {Tag, Digest, Size}). Without a tag, every tag of
 * the repository is pushed. An index whose other platforms were never pulled is pushed as the
 * platform manifest that is here.
 */
import type { ServerResponse } from 'node:http';
import { TsdError } from '../../api/errors.js';
import { familiarReference, formatReference, parseReference, repositoryName, type Descriptor, type ImageReference } from '../../api/oci-image-spec.js';
import { pushImage } from '../../containerd/registry/push.js';
import type { EngineContext } from '../engine-context.js';
import { startJsonStream } from '../http/json-stream.js';
import type { ApiRequest } from '../router.js';
import { isIndex, safeParse } from './image-record.js';
import { pushMessage, shortId } from './pull-progress.js';
import { credentialsOf, decodeRegistryAuth } from './registry-access.js';

export async function handlePush(ctx: EngineContext, req: ApiRequest, res: ServerResponse): Promise<void> {
  const name = req.params.name!;
  const base = parseReference(name);
  const tag = req.query.get('tag') ?? '';
  const refs = await refsToPush(ctx, base, tag || (/:[^/]+$/.test(name) ? base.tag! : ''));
  const credentials = credentialsOf(decodeRegistryAuth(req.raw.headers['x-registry-auth']));
  const stream = startJsonStream(res);
  const client = ctx.registry.client(credentials);
  try {
    stream.send({ status: `The push refers to repository [${repositoryName(base)}]` });
    for (const ref of refs) {
      const image = await ctx.images.resolve(formatReference(ref));
      const root: Descriptor = isIndex(image.target) && !(await allChildrenPresent(ctx, image.target)) ? image.manifestDescriptor : image.target;
      for (const layer of image.manifest.layers) stream.send({ status: 'Preparing', progressDetail: {}, id: shortId(layer.digest) });
      const layerDigests = new Set(image.manifest.layers.map((l) => l.digest));
      await pushImage(client, ctx.containerd.content, ref, root, {
        onEvent: (event) => {
          if ('digest' in event && !layerDigests.has(event.digest)) return; // config and manifests get no line
          const message = pushMessage(event);
          if (message) stream.send(message);
        },
      });
      stream.send({ status: `${ref.tag}: digest: ${root.digest} size: ${root.size}` });
      stream.send({ progressDetail: {}, aux: { Tag: ref.tag, Digest: root.digest, Size: root.size } });
      ctx.events.publish({ type: 'image', action: 'push', actor: familiarReference(ref), attributes: { name: familiarReference({ ...ref, tag: undefined }) } });
    }
    stream.end();
  } catch (error) {
    stream.fail(error);
  } finally {
    client.close();
  }
}

async function refsToPush(ctx: EngineContext, base: ImageReference, tag: string): Promise<ImageReference[]> {
  if (tag) {
    const ref = { domain: base.domain, path: base.path, tag };
    await ctx.images.resolve(formatReference(ref)).catch(() => {
      throw new TsdError('not-found', `tag does not exist: ${familiarReference(ref)}`);
    });
    return [ref];
  }
  const repo = repositoryName(base);
  const refs = (await ctx.containerd.images.list())
    .map((record) => safeParse(record.name))
    .filter((ref): ref is ImageReference => ref !== undefined && repositoryName(ref) === repo && ref.tag !== undefined && ref.digest === undefined);
  if (refs.length === 0) throw new TsdError('not-found', `An image does not exist locally with the tag: ${familiarReference({ ...base, tag: undefined })}`);
  return refs;
}

async function allChildrenPresent(ctx: EngineContext, index: Descriptor): Promise<boolean> {
  const parsed = await ctx.images.readJson<{ manifests: Descriptor[] }>(index.digest);
  for (const child of parsed.manifests) if (!(await ctx.containerd.content.has(child.digest))) return false;
  return true;
}
