/**
 * runc's logging: --log FILE (default stderr) in --log-format text or json. containerd's shim
 * reads the last "error" entry of the JSON log to explain a failed runtime call, so errors are
 * always written there as well as to stderr.
 */
import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

export class Logger {
  constructor(
    readonly file: string | undefined,
    private readonly format: 'text' | 'json',
    readonly debugEnabled: boolean,
  ) {}

  debug(message: string): void {
    if (this.debugEnabled) this.write('debug', message);
  }
  info(message: string): void {
    this.write('info', message);
  }
  warn(message: string): void {
    this.write('warning', message);
  }
  error(message: string): void {
    this.write('error', message);
  }

  private write(level: LogLevel, msg: string): void {
    const time = new Date().toISOString();
    const line =
      this.format === 'json'
        ? JSON.stringify({ level, msg, time })
        : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
    if (!this.file) {
      process.stderr.write(`${line}\n`);
      return;
    }
    try {
      appendFileSync(this.file, `${line}\n`);
    } catch {
      process.stderr.write(`${line}\n`);
    }
  }
}
