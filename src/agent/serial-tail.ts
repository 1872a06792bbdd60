/** The last lines of the serial console: the first thing to read when a boot fails. */
import { readFile, stat } from 'node:fs/promises';

export async function serialTail(path: string, lines = 25): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.replaceAll('\r', '').trimEnd().split('\n').slice(-lines).join('\n') || '(empty)';
  } catch {
    return '(no serial log)';
  }
}

/**
 * Watches the console log grow during a boot: how long it has been silent (a tcg boot that hangs,
 * e.g. in TSC calibration, goes silent for good) and when its first byte came (≈ kernel start).
 */
export class ConsoleWatch {
  private size = 0;
  private changedAt = Date.now();
  /** Wall clock (ms) of the first console output seen, if any. */
  firstOutputAt: number | undefined;

  constructor(private readonly path: string) {}

  async silentMs(): Promise<number> {
    const now = await stat(this.path).then((info) => info.size, () => 0);
    if (now !== this.size) {
      this.size = now;
      this.changedAt = Date.now();
      this.firstOutputAt ??= this.changedAt;
    }
    return Date.now() - this.changedAt;
  }
}
