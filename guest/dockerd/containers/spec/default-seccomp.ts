/**
 * tsd's default seccomp profile (in Docker's profile format, so capability conditions resolve in
 * seccomp-profile.ts). It refuses what Docker's default refuses to a container without the
 * matching capability — kernel modules, mount and namespaces, ptrace, clock and reboot, keyrings,
 * BPF and perf, NUMA policy, accounting — with EPERM, and clone3 with ENOSYS (so libcs fall back to
 * clone, whose namespace flags are then checked). Unlike Docker's allowlist, syscalls not named
 * here are allowed: a new syscall is not silently broken, at the price of being open by default.
 */
import type { ProfileRule, SeccompProfile } from './seccomp-profile.js';

const EPERM = 1;
const ENOSYS = 38;
/**
 * CLONE_NEWUSER: the one namespace flag that needs no capability. The other flags need
 * CAP_SYS_ADMIN in the caller's user namespace, so refusing a new user namespace refuses them all.
 */
const CLONE_NEWUSER = 0x10000000;

/** Syscalls refused unless the container has the capability (Docker grants them with it). */
const BY_CAPABILITY: Record<string, string[]> = {
  CAP_SYS_ADMIN: [
    'mount', 'umount', 'umount2', 'unshare', 'setns', 'pivot_root', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree',
    'mount_setattr', 'quotactl', 'quotactl_fd', 'lookup_dcookie', 'bpf', 'perf_event_open', 'fanotify_init', 'name_to_handle_at', 'syslog',
    'setdomainname', 'sethostname', 'vhangup', 'swapon', 'swapoff',
  ],
  CAP_SYS_PTRACE: ['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64', 'clock_adjtime', 'clock_adjtime64', 'adjtimex'],
  CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module', 'create_module', 'query_module', 'get_kernel_syms'],
  CAP_SYS_BOOT: ['reboot', 'kexec_load', 'kexec_file_load'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_NICE: ['mbind', 'set_mempolicy', 'move_pages', 'get_mempolicy', 'set_mempolicy_home_node'],
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
};

/** Refused to every container (obsolete or host-wide). */
const ALWAYS = ['add_key', 'keyctl', 'request_key', 'nfsservctl', 'uselib', 'userfaultfd', 'ustat', 'sysfs', '_sysctl', 'vm86', 'vm86old'];

export function defaultSeccompProfile(): SeccompProfile {
  const rules: ProfileRule[] = [{ names: ALWAYS, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM }];
  for (const [cap, names] of Object.entries(BY_CAPABILITY)) {
    rules.push({ names, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, excludes: { caps: [cap] } });
  }
  rules.push(
    // New namespaces through clone need CAP_SYS_ADMIN, as with unshare. Only a conditional deny:
    // libseccomp and tsd-runc order mixed conditional/unconditional rules differently.
    { names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [{ index: 0, value: CLONE_NEWUSER, valueTwo: CLONE_NEWUSER, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { caps: ['CAP_SYS_ADMIN'] } },
    // clone3 passes its flags in memory, where seccomp cannot look: report it missing.
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludes: { caps: ['CAP_SYS_ADMIN'] } },
  );
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    ],
    syscalls: rules,
  };
}
