/**
 * The host's TSC rate (kHz), which an x86_64 guest under tcg reads as its own TSC (QEMU passes
 * the host's counter through). Only meaningful on x86 hosts; undefined when it cannot be known,
 * and then the driver boots q35 (which has timers to calibrate against) instead of microvm.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export function hostTscKhz(platform: NodeJS.Platform = process.platform, hostArch: string = process.arch): number | undefined {
  if (hostArch !== 'x64') return undefined;
  try {
    if (platform === 'linux') {
      const mhz = /^cpu MHz\s*:\s*([\d.]+)/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
      return mhz === undefined ? undefined : Math.round(Number(mhz) * 1000);
    }
    if (platform === 'darwin') {
      const hz = Number(execFileSync('sysctl', ['-n', 'machdep.tsc.frequency'], { encoding: 'utf8' }).trim());
      return hz > 0 ? Math.round(hz / 1000) : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
