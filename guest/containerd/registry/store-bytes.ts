/** Commits small in-memory content (manifests, indexes, configs) to the store, verified. */
import { TsdError, asTsdError } from '../../api/errors.js';
import type { Descriptor } from '../../api/oci-image-spec.js';
import type { ContentStore } from '../content/content-store.js';

export async function storeBytes(store: ContentStore, descriptor: Descriptor, bytes: Buffer, labels: Record<string, string>): Promise<void> {
  if (await store.has(descriptor.digest)) {
    await store.update(descriptor.digest, { ...(await store.info(descriptor.digest)).labels, ...labels });
    return;
  }
  const writer = await store.writer(`bytes-${descriptor.digest}`, { total: bytes.length, expected: descriptor.digest });
  try {
    if (writer.offset() > 0) await writer.truncate(0);
    await writer.write(bytes);
    await writer.commit(bytes.length, descriptor.digest, { labels });
  } catch (error) {
    await writer.close();
    await store.abort(writer.ref).catch(() => undefined);
    if (asTsdError(error).code === 'already-exists') return;
    throw error instanceof TsdError ? error : asTsdError(error);
  } finally {
    await writer.close();
  }
}
