/**
 * Capabilities as Docker computes them: the default set, CapAdd/CapDrop with "ALL", names with
 * or without the CAP_ prefix in any case, and Privileged meaning every capability the kernel has.
 */
import { TsdError } from '../../../api/errors.js';
import type { CapabilityName, LinuxCapabilities } from '../../../api/oci-runtime-spec.js';

/** Every capability Linux 6.x defines (cap_last_cap = 40), in number order. */
export const ALL_CAPABILITIES: readonly CapabilityName[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN',
  'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** What a container gets without CapAdd/CapDrop (Docker's default, unchanged since 20.10). */
export const DEFAULT_CAPABILITIES: readonly CapabilityName[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** "net_admin", "CAP_NET_ADMIN", "Net_Admin" → "CAP_NET_ADMIN"; "ALL" stays "ALL". */
export function normalizeCapability(name: string): CapabilityName | 'ALL' {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const full = (upper.startsWith('CAP_') ? upper : `CAP_${upper}`) as CapabilityName;
  if (!ALL_CAPABILITIES.includes(full)) throw new TsdError('invalid-argument', `unknown capability: "${full}"`);
  return full;
}

/**
 * The capabilities in a CapBnd mask (/proc/self/status): what "all" means on this kernel for
 * this engine — Docker gives privileged containers the engine's bounding set, not a fixed list.
 */
export function capabilitiesInMask(hexMask: string): CapabilityName[] {
  const mask = BigInt(`0x${hexMask.trim() || '0'}`);
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** The process's capability list: defaults, then drops, then adds ("ALL" on either side). */
export function resolveCapabilities(capAdd: readonly string[] = [], capDrop: readonly string[] = [], privileged = false, all: readonly CapabilityName[] = ALL_CAPABILITIES): CapabilityName[] {
  if (privileged) return [...all];
  const add = capAdd.map(normalizeCapability);
  const drop = capDrop.map(normalizeCapability);
  if (add.includes('ALL')) {
    // "--cap-add ALL --cap-drop X" is everything but X.
    return all.filter((cap) => !drop.includes(cap));
  }
  const base = drop.includes('ALL') ? [] : DEFAULT_CAPABILITIES.filter((cap) => !drop.includes(cap));
  const result = [...base];
  for (const cap of add) if (cap !== 'ALL' && !result.includes(cap)) result.push(cap);
  return result;
}

/** Docker gives the list as bounding, effective and permitted; nothing inheritable or ambient. */
export function capabilitySets(caps: readonly CapabilityName[]): LinuxCapabilities {
  return { bounding: [...caps], effective: [...caps], permitted: [...caps] };
}
