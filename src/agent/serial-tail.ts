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
 * Watches the console log grow during a boot, on its own timer (probes may block for seconds):
 * how long it has been silent (a tcg boot that hangs goes silent for good) and when its first
 * byte came (about when the kernel's console starts).
 */
export class ConsoleWatch {
  private size = 0;
  private changedAt = Date.now();
  private text = '';
  private readSize = 0;
  private readonly found = new Set<string>();
  /** Wall clock (ms) of the first console output seen, if any. */
  firstOutputAt: number | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly path: string, intervalMs = 100) {
    this.timer = setInterval(() => void this.poll(), intervalMs);
  }

  private async poll(): Promise<void> {
    const now = await stat(this.path).then((info) => info.size, () => 0);
    if (now !== this.size) {
      this.size = now;
      this.changedAt = Date.now();
      this.firstOutputAt ??= this.changedAt;
    }
  }

  /** Whether the console has shown `text` (read again only when the log grew; true stays true). */
  async contains(text: string): Promise<boolean> {
    if (this.found.has(text)) return true;
    await this.poll();
    if (this.size !== this.readSize) {
      this.readSize = this.size;
      this.text = await readFile(this.path, 'latin1').catch(() => this.text);
    }
    if (!this.text.includes(text)) return false;
    this.found.add(text);
    return true;
  }

  async silentMs(): Promise<number> {
    await this.poll();
    return Date.now() - this.changedAt;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
