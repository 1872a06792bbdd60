/**
 * The JSON body of an upgrade request (exec start). Node hands an upgrade over with the bytes after
 * the headers as `head`, so the body is not in the request stream: its Content-Length bytes are
 * taken from `head` (and from the socket when they were not all there yet), and only what follows
 * them stays for the hijacked stream. Otherwise the body would reach the process's stdin.
 */
import { TsdError } from '../../../api/errors.js';
import { readJson } from '../../http/json-body.js';
import type { ApiRequest } from '../../router.js';

export async function readRequestJson<T>(req: ApiRequest): Promise<T | undefined> {
  const upgrade = req.upgrade;
  if (!upgrade) return await readJson<T>(req.raw, { optional: true });
  const length = Number(req.raw.headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length < 0) throw new TsdError('invalid-argument', 'invalid Content-Length');
  let buffered = upgrade.head;
  while (buffered.length < length) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (data: Buffer): void => {
        upgrade.socket.off('end', onEnd);
        upgrade.socket.pause();
        resolve(data);
      };
      const onEnd = (): void => {
        upgrade.socket.off('data', onData);
        resolve(null);
      };
      upgrade.socket.once('data', onData);
      upgrade.socket.once('end', onEnd);
      upgrade.socket.resume();
    });
    if (!chunk) throw new TsdError('invalid-argument', 'invalid JSON: got EOF while reading request body');
    buffered = Buffer.concat([buffered, chunk]);
  }
  upgrade.head = buffered.subarray(length);
  const text = buffered.subarray(0, length).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new TsdError('invalid-argument', `invalid JSON: ${(error as Error).message}`);
  }
}
