/**
 * The facts about the host that machine-file defaults and checks depend on. Passed in
 * explicitly so that tests can ask "what would this file mean on macOS/arm64?".
 */
import os from 'node:os';
import path from 'node:path';
import type { GuestArch } from '../image/guest-image.js';

export type HostPlatform = 'darwin' | 'win32' | 'linux';

export interface HostInfo {
  platform: HostPlatform;
  /** The guest architecture that runs natively on this host. */
  arch: GuestArch;
  cpus: number;
  /** Physical memory in MiB. */
  memoryMiB: number;
  /** The user's home directory (what "~" expands to). */
  homeDir: string;
  /** The system temp directory (os.tmpdir()). */
  tempDir: string;
}

/** The host this process runs on. Other platforms (freebsd…) are treated as linux. */
export function currentHost(): HostInfo {
  return {
    platform: process.platform === 'darwin' || process.platform === 'win32' ? process.platform : 'linux',
    arch: guestArchFor(process.arch),
    cpus: Math.max(1, os.availableParallelism()),
    memoryMiB: Math.floor(os.totalmem() / 2 ** 20),
    homeDir: os.homedir(),
    tempDir: os.tmpdir(),
  };
}

/**
 * Node's process.arch → the guest architecture that matches it. Hosts that are neither
 * (ia32, riscv64…) get an x86_64 guest, which QEMU emulates with tcg.
 */
export function guestArchFor(nodeArch: string): GuestArch {
  return nodeArch === 'arm64' ? 'aarch64' : 'x86_64';
}

export const PLATFORM_NAMES: Record<HostPlatform, string> = {
  darwin: 'macOS',
  win32: 'Windows',
  linux: 'Linux',
};

/** Path functions with the host's semantics (Windows paths on win32), whatever we run on. */
export function pathsOf(host: HostInfo): path.PlatformPath {
  return host.platform === 'win32' ? path.win32 : path.posix;
}
