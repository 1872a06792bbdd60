/**
 * A minimal streaming tar writer (POSIX ustar) for `docker save`: directories and regular files
 * with known sizes, numeric owner 0, fixed mtime. Names must fit ustar's 100 bytes (archive paths
 * here are `blobs/sha256/<64 hex>` and short JSON files).
 */
import type { Writable } from 'node:stream';
import { TsdError } from '../../api/errors.js';

const BLOCK = 512;

function header(name: string, type: '0' | '5', size: number, mode: number, mtime: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new TsdError('internal', `tar entry name too long for ustar: ${name}`);
  const block = Buffer.alloc(BLOCK);
  const put = (offset: number, length: number, text: string): void => void block.write(text, offset, length, 'utf8');
  const octal = (offset: number, length: number, value: number): void => put(offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
  put(0, 100, name);
  octal(100, 8, mode);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, mtime);
  put(148, 8, '        ');
  put(156, 1, type);
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  let sum = 0;
  for (const byte of block) sum += byte;
  put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return block;
}

export class TarWriter {
  constructor(private readonly out: Writable, private readonly mtime = 0) {}

  async #write(data: Buffer): Promise<void> {
    if (this.out.destroyed) throw new TsdError('unavailable', 'the client closed the connection');
    if (!this.out.write(data)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => { this.out.off('close', onClose); resolve(); };
        const onClose = (): void => { this.out.off('drain', onDrain); reject(new TsdError('unavailable', 'the client closed the connection')); };
        this.out.once('drain', onDrain);
        this.out.once('close', onClose);
      });
    }
  }

  async directory(name: string): Promise<void> {
    await this.#write(header(name.endsWith('/') ? name : `${name}/`, '5', 0, 0o755, this.mtime));
  }

  async file(name: string, data: Buffer): Promise<void> {
    await this.#write(header(name, '0', data.length, 0o644, this.mtime));
    await this.#write(data);
    await this.#pad(data.length);
  }

  /** A file streamed from `source`, which must yield exactly `size` bytes. */
  async fileFrom(name: string, size: number, source: AsyncIterable<Buffer>): Promise<void> {
    await this.#write(header(name, '0', size, 0o644, this.mtime));
    let written = 0;
    for await (const chunk of source) {
      written += chunk.length;
      if (written > size) throw new TsdError('internal', `${name}: more than the expected ${size} bytes`);
      await this.#write(chunk);
    }
    if (written !== size) throw new TsdError('internal', `${name}: ${written} bytes instead of ${size}`);
    await this.#pad(size);
  }

  async #pad(size: number): Promise<void> {
    const rest = size % BLOCK;
    if (rest !== 0) await this.#write(Buffer.alloc(BLOCK - rest));
  }

  /** The two zero blocks that end an archive. */
  async finish(): Promise<void> {
    await this.#write(Buffer.alloc(BLOCK * 2));
  }
}
