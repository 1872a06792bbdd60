/**
 * Cancelling a pull when nobody waits for it any more: the registry client and the content store
 * the pull uses, wrapped so that once `signal` aborts no new registry request starts, requests in
 * flight are cut (the client's sockets are destroyed) and no more bytes reach an ingest. The
 * registry code then fails the blob and aborts its ingest, as it does for any broken download,
 * and the pull's lease goes with it — the content store is left as before the pull.
 */
import { TsdError } from '../../api/errors.js';
import type { ContentStore, ContentWriter } from '../../containerd/content/content-store.js';
import type { RegistryClient } from '../../containerd/registry/registry-client.js';

export function pullCancelled(): TsdError {
  return new TsdError('unavailable', 'pull cancelled: every client waiting for it went away');
}

function check(signal: AbortSignal): void {
  if (signal.aborted) throw pullCancelled();
}

/** Methods bound to the real object (it keeps private fields), with `override` taking precedence. */
function wrap<T extends object>(target: T, override: Partial<T>): T {
  return new Proxy(target, {
    get(object, property) {
      if (property in override) return override[property as keyof T];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

export function cancellableClient(client: RegistryClient, signal: AbortSignal): RegistryClient {
  const cut = (): void => client.close();
  signal.addEventListener('abort', cut, { once: true });
  const cancelled = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(pullCancelled()), { once: true }));
  cancelled.catch(() => undefined);
  return wrap(client, {
    send: async (...args: Parameters<RegistryClient['send']>) => {
      check(signal);
      const sent = client.send(...args);
      // Waiting for headers ends at the cancel; a response that still arrives later is dropped.
      sent.then((response) => signal.aborted && response.destroy(), () => undefined);
      return await Promise.race([sent, cancelled]);
    },
  });
}

export function cancellableStore(store: ContentStore, signal: AbortSignal): ContentStore {
  return wrap(store, {
    writer: async (...args: Parameters<ContentStore['writer']>): Promise<ContentWriter> => {
      check(signal);
      const writer = await store.writer(...args);
      return wrap(writer, {
        write: async (...writeArgs: Parameters<ContentWriter['write']>) => {
          check(signal);
          await writer.write(...writeArgs);
        },
        commit: async (...commitArgs: Parameters<ContentWriter['commit']>) => {
          check(signal);
          await writer.commit(...commitArgs);
        },
      });
    },
  });
}
