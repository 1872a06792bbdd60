/**
 * Process identity → steps, in the order that keeps the needed privileges until they are used:
 * drop the bounding set (needs CAP_SETPCAP) → seccomp without no_new_privs (needs CAP_SYS_ADMIN)
 * → keep caps across setuid → groups, gid, uid → set the other four sets → cwd, umask →
 * no_new_privs → seccomp with no_new_privs (as late as possible, so fewer syscalls need allowing).
 */
import type { LinuxCapabilities, Process } from '../../api/oci-runtime-spec.js';
import { CAPABILITIES } from './linux-constants.js';
import type { Step } from './steps.js';

export interface SeccompLoad {
  flags: number;
  filter: Buffer;
}

export function capabilityMask(names: readonly string[] = []): bigint {
  let mask = 0n;
  for (const name of names) {
    const bit = CAPABILITIES.indexOf(name);
    if (bit >= 0) mask |= 1n << BigInt(bit);
  }
  return mask;
}

export function identitySteps(process: Process, seccomp: SeccompLoad | undefined, options: { setgroups: boolean }): Step[] {
  const caps: LinuxCapabilities = process.capabilities ?? {};
  const steps: Step[] = [['bounding', capabilityMask(caps.bounding)]];
  if (seccomp && !process.noNewPrivileges) steps.push(['seccomp', seccomp.flags, seccomp.filter]);
  steps.push(['keepcaps', 1]);
  if (options.setgroups) steps.push(['setgroups', process.user.additionalGids ?? []]);
  steps.push(['setgid', process.user.gid], ['setuid', process.user.uid], ['keepcaps', 0]);
  steps.push(['capset', capabilityMask(caps.effective), capabilityMask(caps.permitted), capabilityMask(caps.inheritable)]);
  // The kernel only raises ambient capabilities that are permitted and inheritable; runc warns
  // about the others and goes on (its own `spec` lists ambient caps without inheritable ones).
  const ambient = capabilityMask(caps.ambient) & capabilityMask(caps.permitted) & capabilityMask(caps.inheritable);
  if (ambient !== 0n) steps.push(['ambient', ambient]);
  steps.push(['chdir', process.cwd]);
  if (process.user.umask !== undefined) steps.push(['umask', process.user.umask]);
  if (process.noNewPrivileges) steps.push(['nnp']);
  if (seccomp && process.noNewPrivileges) steps.push(['seccomp', seccomp.flags, seccomp.filter]);
  return steps;
}
