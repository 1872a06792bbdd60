/**
 * A service's log file, rotated by size: <name>.log is renamed to <name>.log.1 (and .1 to .2 …)
 * when it would grow past maxBytes. Writes are small and go to the guest's RAM filesystem, so they
 * are synchronous: lines of two streams never interleave mid-chunk and nothing is lost at exit.
 */
import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export interface RotationPolicy {
  maxBytes: number;
  /** How many rotated files to keep (<name>.log.1 … .N). */
  keep: number;
}

export const DEFAULT_ROTATION: RotationPolicy = { maxBytes: 1024 * 1024, keep: 2 };

export class RotatingLog {
  private fd: number;
  private size: number;

  constructor(
    readonly path: string,
    private readonly policy: RotationPolicy = DEFAULT_ROTATION,
  ) {
    this.fd = openSync(path, 'a', 0o640);
    this.size = fstatSync(this.fd).size;
  }

  write(chunk: Buffer | string): void {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.size > 0 && this.size + data.length > this.policy.maxBytes) this.rotate();
    writeSync(this.fd, data);
    this.size += data.length;
  }

  close(): void {
    closeSync(this.fd);
  }

  private rotate(): void {
    closeSync(this.fd);
    rmSync(`${this.path}.${this.policy.keep}`, { force: true });
    for (let generation = this.policy.keep - 1; generation >= 1; generation--) {
      const from = `${this.path}.${generation}`;
      if (existsSync(from)) renameSync(from, `${this.path}.${generation + 1}`);
    }
    if (this.policy.keep > 0) renameSync(this.path, `${this.path}.1`);
    else rmSync(this.path, { force: true });
    this.fd = openSync(this.path, 'a', 0o640);
    this.size = 0;
  }
}
