/**
 * mount(8) through busybox for the boot's mounts. Why not mount(2) through koffi: loading koffi
 * (dlopen of a 2 MB addon + its JS) costs about 250 ms under tcg, on the boot's critical path;
 * a busybox spawn costs a few ms. koffi stays for what only a syscall can do (clock_settime,
 * reboot, the shutdown's unmounts), off the hot path.
 */
import { TsdError } from '../api/errors.js';
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_RELATIME } from '../sys/mount.js';
import { runCommand } from './run-command.js';

export interface MountRequest {
  source: string;
  target: string;
  fstype: string;
  flags: number;
  data?: string;
}

const FLAG_OPTIONS: Array<[number, string]> = [
  [MS_RDONLY, 'ro'],
  [MS_NOSUID, 'nosuid'],
  [MS_NODEV, 'nodev'],
  [MS_NOEXEC, 'noexec'],
  [MS_RELATIME, 'relatime'],
];

/** mount(8)'s -o value for the flags and filesystem data (pure; tested). */
export function mountOptions(flags: number, data = ''): string {
  const known = FLAG_OPTIONS.reduce((mask, [bit]) => mask | bit, 0);
  if ((flags & ~known) !== 0) throw new TsdError('invalid-argument', `mount flags 0x${flags.toString(16)} have bits mount(8) options do not cover`);
  const words = FLAG_OPTIONS.filter(([bit]) => (flags & bit) !== 0).map(([, word]) => word);
  if (data !== '') words.push(data);
  return words.length === 0 ? 'defaults' : words.join(',');
}

export function mountArgv(request: MountRequest): string[] {
  return ['mount', '-t', request.fstype, '-o', mountOptions(request.flags, request.data), request.source, request.target];
}

export async function mountWithBusybox(request: MountRequest): Promise<void> {
  const result = await runCommand(mountArgv(request), { allowFailure: true });
  if (result.code !== 0) {
    const why = result.stderr.trim() || `exit ${result.code}`;
    const code = /busy/i.test(why) ? 'conflict' : /no such/i.test(why) ? 'not-found' : 'internal';
    throw new TsdError(code, `mount ${request.fstype} on ${request.target}: ${why}`);
  }
}
