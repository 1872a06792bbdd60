/**
 * Compresses the initramfs with the host's tools, in formats the kernel's initramfs unpacker reads
 * (lz4 must be the legacy frame format, -l). Levels are fixed so that output is reproducible.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TsdError } from '../../guest/api/errors.js';
import type { Compression } from './recipe.js';

/** Compressor command per format; `none` writes the archive as it is. */
export const COMPRESSORS: Record<Exclude<Compression, 'none'>, { command: string; args: string[]; suffix: string; kernelConfig: string }> = {
  lz4: { command: 'lz4', args: ['-l', '-9', '-c'], suffix: '.lz4', kernelConfig: 'CONFIG_RD_LZ4' },
  gzip: { command: 'gzip', args: ['-9', '-n', '-c'], suffix: '.gz', kernelConfig: 'CONFIG_RD_GZIP' },
  zstd: { command: 'zstd', args: ['-19', '-q', '-c', '-T0'], suffix: '.zst', kernelConfig: 'CONFIG_RD_ZSTD' },
};

export function initrdFileName(compression: Compression): string {
  return compression === 'none' ? 'initrd.img' : `initrd.img${COMPRESSORS[compression].suffix}`;
}

/** Writes `input`, compressed, to `out`; returns the uncompressed size. */
export async function writeCompressed(source: Readable, compression: Compression, out: string): Promise<number> {
  let rawSize = 0;
  const input = source.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        rawSize += chunk.length;
        callback(null, chunk);
      },
    }),
  );
  source.on('error', (error) => input.destroy(error));
  if (compression === 'none') {
    await pipeline(input, createWriteStream(out));
    return rawSize;
  }
  const { command, args } = COMPRESSORS[compression];
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (error) => reject(new TsdError('unavailable', `cannot run ${command} (run scripts/setup-host.sh): ${error.message}`)));
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new TsdError('internal', `${command} failed (exit ${code}): ${Buffer.concat(stderr).toString().trim()}`)),
    );
  });
  await Promise.all([pipeline(input, child.stdin), pipeline(child.stdout, createWriteStream(out)), exited]);
  return rawSize;
}
