/**
 * Writing container output to a client: stdcopy frames without a tty, raw bytes with one, and
 * Docker's content types for each (API ≥ 1.42 names the multiplexed type).
 */
import type { Writable } from 'node:stream';
import { frame, STDERR, STDOUT } from '../../http/stdcopy.js';
import { MULTIPLEXED_STREAM, RAW_STREAM } from '../../http/hijack.js';
import type { ApiVersion } from '../../api-version.js';

export function outputContentType(tty: boolean, version: ApiVersion): string {
  return tty || version.minor < 42 ? RAW_STREAM : MULTIPLEXED_STREAM;
}

export function writeOutput(target: Writable, tty: boolean, stream: 'stdout' | 'stderr', chunk: Buffer): boolean {
  if (target.destroyed || target.writableEnded) return false;
  return target.write(tty ? chunk : frame(stream === 'stderr' ? STDERR : STDOUT, chunk));
}
