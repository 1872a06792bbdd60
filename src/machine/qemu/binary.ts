/**
 * Finds qemu-system-<arch> (and qemu-img): PATH first, then where the usual installers put it
 * (Homebrew on macOS, Program Files on Windows). Not found → one clear error with the install hint.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { TsdError } from '../../../guest/api/errors.js';
import type { GuestArch } from '../../image/guest-image.js';

export interface BinarySearch {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** True when the file exists and may be executed. */
  isExecutable: (path: string) => boolean;
}

const EXTRA_DIRS: Partial<Record<NodeJS.Platform, string[]>> = {
  darwin: ['/opt/homebrew/bin', '/usr/local/bin', '/opt/local/bin'],
  win32: ['C:\\Program Files\\qemu', 'C:\\Program Files (x86)\\qemu'],
  linux: ['/usr/bin', '/usr/local/bin'],
};

const INSTALL_HINT: Partial<Record<NodeJS.Platform, string>> = {
  darwin: 'install it with `brew install qemu`',
  win32: 'install it from https://qemu.weilnetz.de/ or with `winget install SoftwareFreedomConservancy.QEMU`',
  linux: 'install it with `apt-get install qemu-system-x86 qemu-system-arm qemu-utils` (or your distribution\'s qemu packages)',
};

function candidates(program: string, search: BinarySearch): string[] {
  const exe = search.platform === 'win32' ? `${program}.exe` : program;
  const pathVar = search.env.PATH ?? search.env.Path ?? '';
  const dirs = [...pathVar.split(search.platform === 'win32' ? ';' : delimiter), ...(EXTRA_DIRS[search.platform] ?? [])];
  const pathJoin = search.platform === 'win32' ? (dir: string) => `${dir.replace(/\\$/, '')}\\${exe}` : (dir: string) => join(dir, exe);
  return dirs.filter((dir) => dir !== '').map(pathJoin);
}

export function findProgram(program: string, search: BinarySearch): string {
  const found = candidates(program, search).find((path) => search.isExecutable(path));
  if (found === undefined) {
    const hint = INSTALL_HINT[search.platform] ?? 'install QEMU';
    throw new TsdError('unavailable', `${program} not found on PATH or in the usual install locations; ${hint}`);
  }
  return found;
}

export function qemuSystemProgram(arch: GuestArch): string {
  return `qemu-system-${arch}`;
}

export function hostSearch(): BinarySearch {
  return {
    platform: process.platform,
    env: process.env,
    isExecutable: (path) => {
      try {
        accessSync(path, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
  };
}
