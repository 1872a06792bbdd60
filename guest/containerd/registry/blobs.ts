/**
 * Downloads a blob into the content store, verified: the ingest is told the expected size and
 * digest, so more bytes than announced fail at once and a wrong digest fails at commit. Dropped
 * connections resume with a Range request from the ingest's offset (bounded attempts). A blob
 * that cannot be completed is aborted: nothing half-written stays in the store.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TsdError, asTsdError } from '../../api/errors.js';
import type { Descriptor } from '../../api/oci-image-spec.js';
import type { ContentStore, ContentWriter } from '../content/content-store.js';
import type { RegistryClient, Repository } from './registry-client.js';
import { registryError } from './registry-errors.js';
import type { TransferListener } from './types.js';

const DOWNLOAD_ATTEMPTS = 3;
const PROGRESS_STEP = 512 * 1024;

export interface FetchBlobOptions {
  onEvent?: TransferListener;
  labels?: Record<string, string>;
}

export async function fetchBlobInto(
  client: RegistryClient, repository: Repository, descriptor: Descriptor, store: ContentStore, options: FetchBlobOptions = {},
): Promise<void> {
  const { digest, size } = descriptor;
  const emit = options.onEvent ?? (() => {});
  const writer = await openWriter(store, descriptor);
  if (!writer) {
    emit({ kind: 'blob-exists', digest, size });
    return;
  }
  const what = `blob ${digest} of ${repository.path} on ${repository.endpoint.baseUrl}`;
  try {
    emit({ kind: 'blob-start', digest, size });
    let lastError: TsdError | undefined;
    for (let attempt = 0; attempt < DOWNLOAD_ATTEMPTS && writer.offset() < size; attempt++) {
      try {
        await downloadFrom(client, repository, descriptor, writer, what, emit);
      } catch (error) {
        lastError = asTsdError(error);
        // Only a broken transfer is worth resuming; a refusal or overflow is final.
        if (lastError.code !== 'unavailable') throw lastError;
      }
    }
    if (writer.offset() < size) {
      throw new TsdError('invalid-argument', `${what}: truncated: received ${writer.offset()} of ${size} bytes${lastError ? ` (${lastError.message})` : ''}`);
    }
    try {
      await writer.commit(size, digest, { labels: options.labels ?? {} });
    } catch (error) {
      if (asTsdError(error).code !== 'already-exists') throw error;
    }
    emit({ kind: 'blob-done', digest, size });
  } catch (error) {
    await writer.close();
    await store.abort(writer.ref).catch(() => undefined);
    const failure = asTsdError(error);
    if (failure.message.startsWith(what)) throw failure;
    throw new TsdError(failure.code, `${what}: ${failure.message}`, { cause: failure });
  } finally {
    await writer.close();
  }
}

/** A writer for the blob, or undefined when the store already has it (waiting out a concurrent fetch). */
async function openWriter(store: ContentStore, descriptor: Descriptor): Promise<ContentWriter | undefined> {
  for (;;) {
    if (await store.has(descriptor.digest)) return undefined;
    try {
      return await store.writer(`fetch-${descriptor.digest}`, { total: descriptor.size, expected: descriptor.digest });
    } catch (error) {
      if (asTsdError(error).code !== 'unavailable') throw error;
      await sleep(100); // the same blob is being fetched by another pull
    }
  }
}

async function downloadFrom(
  client: RegistryClient, repository: Repository, descriptor: Descriptor, writer: ContentWriter, what: string, emit: TransferListener,
): Promise<void> {
  const offset = writer.offset();
  const response = await client.send(repository, {
    method: 'GET',
    target: `blobs/${descriptor.digest}`,
    actions: ['pull'],
    headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
  });
  const status = response.statusCode ?? 0;
  if (status === 416 || (status === 200 && offset > 0)) {
    // The registry ignored (or could not serve) the range: start over.
    await writer.truncate(0);
    if (status === 416) {
      response.resume();
      throw new TsdError('unavailable', `range request at ${offset} refused`);
    }
  } else if (status !== 200 && status !== 206) {
    throw await registryError(response, what);
  }
  let reported = writer.offset();
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      await writer.write(chunk);
      if (writer.offset() - reported >= PROGRESS_STEP) {
        reported = writer.offset();
        emit({ kind: 'blob-progress', digest: descriptor.digest, done: reported, size: descriptor.size });
      }
    }
  } catch (error) {
    response.destroy();
    const failure = asTsdError(error);
    if (failure.code === 'invalid-argument') throw failure;
    throw new TsdError('unavailable', `transfer interrupted at ${writer.offset()} bytes: ${failure.message}`, { cause: error });
  }
  if (!response.complete) throw new TsdError('unavailable', `transfer interrupted at ${writer.offset()} bytes`);
  emit({ kind: 'blob-progress', digest: descriptor.digest, done: writer.offset(), size: descriptor.size });
  if (writer.offset() < descriptor.size) throw new TsdError('unavailable', `response ended at ${writer.offset()} bytes`);
}
