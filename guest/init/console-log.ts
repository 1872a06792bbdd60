/**
 * The init's log: one line per event on its stdout, which is /dev/console (tini passes on the
 * console the kernel gave it). The host keeps the serial console in serial.log.
 * Times are seconds since the kernel started, like the kernel's own log lines.
 */
import { readFileSync } from 'node:fs';

export type LogLine = (message: string) => void;

export function createConsoleLog(write: (text: string) => void = (text) => process.stdout.write(text)): LogLine {
  return (message) => write(`[${stamp()}] tsd-init: ${message}\n`);
}

/** Kernel uptime at the moment Node started; found once /proc is mounted. */
let bootOffset: number | undefined;

function stamp(): string {
  if (bootOffset === undefined) {
    try {
      bootOffset = Number.parseFloat(readFileSync('/proc/uptime', 'utf8')) - process.uptime();
    } catch {
      // /proc is not mounted yet (the first line): show the time since Node started instead.
      return `node +${process.uptime().toFixed(3)}`;
    }
  }
  return (bootOffset + process.uptime()).toFixed(3);
}
