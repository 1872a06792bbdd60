/**
 * Is the guest's Engine API answering? GET /_ping over a stream to /run/docker.sock (the same
 * path every Docker client request takes), expecting "200" and "OK".
 */
import type { Duplex } from 'node:stream';

export function pingEngine(stream: Duplex, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      stream.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    stream.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (/^HTTP\/1\.[01] 200 /.test(answer) && /\r\n\r\nOK$/.test(answer)) finish(true);
    });
    stream.on('end', () => finish(/^HTTP\/1\.[01] 200 /.test(answer)));
    stream.on('error', () => finish(false));
    stream.write('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
  });
}
