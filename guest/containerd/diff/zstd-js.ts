/**
 * zstd decompression in JavaScript (fzstd, pure TypeScript) for machines without the `zstd`
 * binary — the guest image need not carry it. Slower than the binary, so the binary is preferred.
 */
import { Transform } from 'node:stream';
import { Decompress } from 'fzstd';
import { TsdError } from '../../api/errors.js';

export function createZstdJsDecompressor(): Transform {
  let decoder: Decompress;
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        decoder.push(chunk);
        callback();
      } catch (error) {
        callback(invalid(error));
      }
    },
    flush(callback) {
      try {
        decoder.push(new Uint8Array(0), true);
        callback();
      } catch (error) {
        callback(invalid(error));
      }
    },
  });
  // fzstd may reuse its output buffer: copy before handing data on.
  decoder = new Decompress((data) => void transform.push(Buffer.from(data)));
  return transform;
}

function invalid(error: unknown): TsdError {
  const message = error instanceof Error ? error.message : String(error);
  return new TsdError('invalid-argument', `layer is not valid zstd data: ${message}`, { cause: error });
}
