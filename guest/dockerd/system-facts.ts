/**
 * Facts about the machine the engine runs on, read from the kernel and /etc each time they are
 * asked for (cheap, and always current: hostname and memory can change).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

export interface SystemFacts {
  kernelVersion: string;
  /** uname -m: x86_64, aarch64. */
  machine: string;
  /** Go's GOARCH spelling, which Docker clients expect in /version: amd64, arm64. */
  goArch: string;
  operatingSystem: string;
  osVersion: string;
  ncpu: number;
  memTotal: number;
  hostname: string;
  cgroupVersion: '1' | '2';
}

const GO_ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', armv7l: 'arm', riscv64: 'riscv64' };

export function readSystemFacts(): SystemFacts {
  const osRelease = parseOsRelease(readOptional('/etc/os-release') ?? readOptional('/usr/lib/os-release') ?? '');
  const machine = os.machine();
  return {
    kernelVersion: os.release(),
    machine,
    goArch: GO_ARCH[machine] ?? machine,
    operatingSystem: osRelease.PRETTY_NAME ?? 'Linux',
    osVersion: osRelease.VERSION_ID ?? '',
    ncpu: os.availableParallelism(),
    memTotal: os.totalmem(),
    hostname: os.hostname(),
    // A unified hierarchy has cgroup.controllers at its root; a v1 or hybrid host does not.
    cgroupVersion: existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1',
  };
}

/** Parses /etc/os-release (KEY=value lines, values optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    let value = match[2]!;
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    }
    result[match[1]!] = value;
  }
  return result;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
