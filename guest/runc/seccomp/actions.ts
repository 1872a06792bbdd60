/**
 * OCI seccomp actions and flags → the kernel's SECCOMP_RET_* values and filter flags
 * (linux/seccomp.h).
 */
import { TsdError } from '../../api/errors.js';
import type { LinuxSeccomp, LinuxSeccompAction } from '../../api/oci-runtime-spec.js';

export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

export const SECCOMP_RET_DATA = 0x0000ffff;
export const EPERM = 1;
export const ENOSYS = 38;

export const SECCOMP_FILTER_FLAG = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_NEW_LISTENER: 8,
  SECCOMP_FILTER_FLAG_TSYNC_ESRCH: 16,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
} as const;

/** Flags the OCI spec lets a config name (the others are the runtime's business). */
const CONFIG_FLAGS: ReadonlySet<string> = new Set([
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
]);

/**
 * The SECCOMP_RET value of an action. `errnoRet` is the errno of SCMP_ACT_ERRNO and the
 * message of SCMP_ACT_TRACE (EPERM when absent, as runc does); `where` names the config field
 * in errors.
 */
export function actionValue(action: LinuxSeccompAction, errnoRet: number | undefined, where: string): number {
  if (errnoRet !== undefined) {
    if (action !== 'SCMP_ACT_ERRNO' && action !== 'SCMP_ACT_TRACE') {
      throw new TsdError('invalid-argument', `${where}: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${action}`);
    }
    if (!Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > SECCOMP_RET_DATA) {
      throw new TsdError('invalid-argument', `${where}: errnoRet ${errnoRet} is not an integer in 0..65535`);
    }
  }
  const data = errnoRet ?? EPERM;
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_ERRNO':
      return (SECCOMP_RET.ERRNO | data) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (SECCOMP_RET.TRACE | data) >>> 0;
    case 'SCMP_ACT_ALLOW':
      return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_LOG':
      return SECCOMP_RET.LOG;
    case 'SCMP_ACT_NOTIFY':
      throw new TsdError('unsupported', `${where}: SCMP_ACT_NOTIFY (seccomp user notification to listenerPath) is not supported by tsd-runc`);
    default:
      throw new TsdError('invalid-argument', `${where}: unknown seccomp action ${JSON.stringify(action)}`);
  }
}

/** The SECCOMP_FILTER_FLAG_* bits for seccomp(SECCOMP_SET_MODE_FILTER, flags, prog). */
export function seccompFlags(config: LinuxSeccomp): number {
  let flags = 0;
  for (const flag of config.flags ?? []) {
    if (!CONFIG_FLAGS.has(flag)) {
      throw new TsdError('invalid-argument', `linux.seccomp.flags: unknown flag ${JSON.stringify(flag)}`);
    }
    flags |= SECCOMP_FILTER_FLAG[flag];
  }
  return flags;
}
