/** errno numbers → names, for helper errors ("mount: ENOENT (No such file or directory)"). */
import { constants } from 'node:os';

const NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, value]) => [value, name]));

const MESSAGES: Readonly<Record<string, string>> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EEXIST: 'file exists',
  ENOTDIR: 'not a directory',
  EINVAL: 'invalid argument',
  EBUSY: 'device or resource busy',
  ENOSPC: 'no space left on device',
  ENOSYS: 'function not implemented',
  ENOMEM: 'cannot allocate memory',
  EPIPE: 'broken pipe',
  ENAMETOOLONG: 'file name too long',
  ECONNREFUSED: 'connection refused',
  ELOOP: 'too many levels of symbolic links',
  ENODEV: 'no such device',
};

export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `errno ${errno}`;
}

export function errnoText(errno: number): string {
  const name = errnoName(errno);
  return MESSAGES[name] ? `${MESSAGES[name]} (${name})` : name;
}
