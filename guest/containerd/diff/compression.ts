/**
 * Layer compression, detected by magic bytes (media types lie often enough): gzip through
 * node:zlib; zstd through Debian's `zstd` binary as a streaming child process when it is on the
 * PATH (Node 20's zlib has no zstd), else through fzstd in JavaScript; anything else is read as an
 * uncompressed tar. bzip2 and xz are refused clearly.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { TsdError } from '../../api/errors.js';
import { createZstdJsDecompressor } from './zstd-js.js';

export type Compression = 'gzip' | 'zstd' | 'none';
/** How to decompress zstd: the binary when found ('auto'), or one of them explicitly. */
export type ZstdImplementation = 'auto' | 'binary' | 'js';

let zstdBinary: string | null | undefined;

/** The `zstd` executable on the PATH, or null (looked up once). */
export function findZstdBinary(): string | null {
  if (zstdBinary !== undefined) return zstdBinary;
  zstdBinary = null;
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    try {
      accessSync(join(dir, 'zstd'), fsConstants.X_OK);
      zstdBinary = join(dir, 'zstd');
      break;
    } catch {
      // not here
    }
  }
  return zstdBinary;
}

export function detectCompression(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') throw new TsdError('unsupported', 'bzip2-compressed layers are not supported');
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) throw new TsdError('unsupported', 'xz-compressed layers are not supported');
  return 'none';
}

/** Peeks at the first bytes, then returns the decompressed stream. */
export async function decompress(source: Readable, zstd: ZstdImplementation = 'auto'): Promise<{ compression: Compression; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < 6) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    length += next.value.length;
  }
  const prefix = Buffer.concat(head);
  const compression = detectCompression(prefix);
  const whole = Readable.from((async function* () {
    yield prefix;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  })(), { objectMode: false });
  switch (compression) {
    case 'none':
      return { compression, stream: whole };
    case 'gzip':
      return { compression, stream: pipeInto(whole, createGunzip(), 'gzip') };
    case 'zstd': {
      const binary = zstd === 'js' ? null : findZstdBinary();
      if (binary) return { compression, stream: zstdBinaryDecompress(whole, binary) };
      if (zstd === 'binary') throw new TsdError('unavailable', 'the zstd binary is not on the PATH');
      return { compression, stream: pipeInto(whole, createZstdJsDecompressor(), 'zstd') };
    }
  }
}

function pipeInto(source: Readable, transform: NodeJS.ReadWriteStream & Readable, name: string): Readable {
  source.on('error', (error) => transform.destroy(error));
  transform.on('error', () => source.destroy());
  source.pipe(transform);
  return wrapErrors(transform, name);
}

/** Turns decompressor errors into invalid-argument errors that say what failed. */
function wrapErrors(stream: Readable, name: string): Readable {
  const out = new PassThrough();
  stream.on('error', (error) => {
    out.destroy(error instanceof TsdError ? error : new TsdError('invalid-argument', `layer is not valid ${name} data: ${error.message}`, { cause: error }));
  });
  stream.pipe(out);
  return out;
}

function zstdBinaryDecompress(source: Readable, binary: string): Readable {
  const child = spawn(binary, ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = new PassThrough();
  const stderr: Buffer[] = [];
  let failed = false;
  const fail = (error: Error): void => {
    if (failed) return;
    failed = true;
    if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
    out.destroy(error);
  };
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.on('error', (error) => fail(new TsdError('unavailable', `cannot run zstd to decompress a layer: ${error.message}`, { cause: error })));
  child.stdin.on('error', () => {}); // EPIPE when zstd exits early; its exit status tells why
  source.on('error', (error) => fail(error));
  source.pipe(child.stdin);
  child.stdout.pipe(out, { end: false });
  let stdoutEnded = false;
  let exitCode: number | null | undefined;
  const finish = (): void => {
    if (!stdoutEnded || exitCode === undefined || failed) return;
    if (exitCode === 0) out.end();
    else fail(new TsdError('invalid-argument', `layer is not valid zstd data: ${Buffer.concat(stderr).toString().trim() || `zstd exited ${exitCode}`}`));
  };
  child.stdout.on('end', () => {
    stdoutEnded = true;
    finish();
  });
  child.on('close', (code) => {
    exitCode = code;
    finish();
  });
  // A consumer that stops early must not leave zstd running.
  out.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return out;
}
