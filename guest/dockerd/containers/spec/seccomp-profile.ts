/**
 * Docker's seccomp profile format (the JSON `--security-opt seccomp=FILE` takes, and the shape
 * of the default profile) → OCI linux.seccomp for one architecture and capability set: rules
 * carry includes/excludes on caps and arches that are resolved here, as dockerd does.
 */
import { TsdError } from '../../../api/errors.js';
import type { CapabilityName, LinuxSeccomp, LinuxSeccompAction, LinuxSeccompArch, LinuxSeccompArg, LinuxSyscall } from '../../../api/oci-runtime-spec.js';

export interface ProfileFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface ProfileRule {
  name?: string;
  names?: string[];
  action: LinuxSeccompAction;
  errnoRet?: number;
  args?: LinuxSeccompArg[] | null;
  includes?: ProfileFilter;
  excludes?: ProfileFilter;
}

export interface SeccompProfile {
  defaultAction: LinuxSeccompAction;
  defaultErrnoRet?: number;
  architectures?: LinuxSeccompArch[];
  archMap?: { architecture: LinuxSeccompArch; subArchitectures?: LinuxSeccompArch[] }[];
  syscalls?: ProfileRule[];
}

/** Node's process.arch → the arch names a profile uses. */
export const NATIVE_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };
const NATIVE_SECCOMP: Record<string, LinuxSeccompArch> = { amd64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64' };

export function parseProfile(json: string): SeccompProfile {
  let profile: SeccompProfile;
  try {
    profile = JSON.parse(json) as SeccompProfile;
  } catch (error) {
    throw new TsdError('invalid-argument', `decoding seccomp profile failed: ${(error as Error).message}`);
  }
  if (typeof profile !== 'object' || profile === null || typeof profile.defaultAction !== 'string') {
    throw new TsdError('invalid-argument', 'decoding seccomp profile failed: defaultAction is required');
  }
  if (profile.architectures && profile.archMap) {
    throw new TsdError('invalid-argument', "use either 'architectures' or 'archMap'");
  }
  return profile;
}

export function profileToOci(profile: SeccompProfile, arch: string, caps: readonly CapabilityName[]): LinuxSeccomp {
  const seccomp: LinuxSeccomp = { defaultAction: profile.defaultAction, syscalls: [] };
  if (profile.defaultErrnoRet !== undefined) seccomp.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.architectures) seccomp.architectures = [...profile.architectures];
  else if (profile.archMap) {
    const native = NATIVE_SECCOMP[arch];
    const entry = profile.archMap.find((a) => a.architecture === native);
    if (entry) seccomp.architectures = [entry.architecture, ...(entry.subArchitectures ?? [])];
  }
  const applies = (filter: ProfileFilter | undefined, whenEmpty: boolean, match: 'all' | 'any'): boolean => {
    if (!filter) return whenEmpty;
    const checks: boolean[] = [];
    if (filter.caps?.length) checks.push(filter.caps[match === 'all' ? 'every' : 'some']((c) => caps.includes(c as CapabilityName)));
    if (filter.arches?.length) checks.push(filter.arches.includes(arch));
    if (checks.length === 0) return whenEmpty;
    return match === 'all' ? checks.every(Boolean) : checks.some(Boolean);
  };
  for (const rule of profile.syscalls ?? []) {
    if (!applies(rule.includes, true, 'all')) continue;
    if (applies(rule.excludes, false, 'any')) continue;
    const names = rule.names ?? (rule.name ? [rule.name] : []);
    if (names.length === 0) continue;
    const syscall: LinuxSyscall = { names: [...names], action: rule.action };
    if (rule.errnoRet !== undefined) syscall.errnoRet = rule.errnoRet;
    if (rule.args && rule.args.length > 0) syscall.args = rule.args.map((a) => ({ ...a }));
    seccomp.syscalls!.push(syscall);
  }
  return seccomp;
}
