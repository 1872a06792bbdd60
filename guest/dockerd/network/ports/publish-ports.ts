/**
 * Opens a container's publications: picks host ports (explicit, range or ephemeral), reserves them,
 * asks the publisher to open each and then the hook; on any failure closes what it opened.
 */
import type { PortPublisher, Publication, PublishHook } from '../api.js';
import type { PortAllocator } from './port-allocator.js';
import type { PortRequest } from './port-requests.js';
import { PortInUseError } from './userland-proxy.js';

export async function publishPorts(
  requests: PortRequest[],
  containerIp: string,
  allocator: PortAllocator,
  publisher: PortPublisher,
  hook: PublishHook | undefined,
): Promise<Publication[]> {
  const opened: Publication[] = [];
  try {
    for (const request of requests) {
      const candidates = allocator.candidates(request);
      for (let i = 0; ; i++) {
        const publication: Publication = { proto: request.proto, hostIp: request.hostIp, hostPort: candidates[i]!, containerIp, containerPort: request.containerPort };
        allocator.reserve(publication.proto, publication.hostIp, publication.hostPort);
        try {
          await publisher.publish(publication);
          opened.push(publication);
          break;
        } catch (error) {
          allocator.release(publication.proto, publication.hostIp, publication.hostPort);
          // Another program holds it: a range or an ephemeral choice moves on, a fixed port fails.
          if (!(error instanceof PortInUseError) || i + 1 >= candidates.length) throw error;
        }
      }
    }
    await publisher.flush?.();
    if (hook && opened.length > 0) await hook.published(opened);
    return opened;
  } catch (error) {
    await unpublishPorts(opened, allocator, publisher, undefined);
    throw error;
  }
}

export async function unpublishPorts(publications: Publication[], allocator: PortAllocator, publisher: PortPublisher, hook: PublishHook | undefined): Promise<void> {
  for (const publication of publications) {
    await publisher.unpublish(publication).catch(() => undefined);
    allocator.release(publication.proto, publication.hostIp, publication.hostPort);
  }
  await publisher.flush?.().catch(() => undefined);
  if (hook && publications.length > 0) await hook.unpublished(publications).catch(() => undefined);
}
