/**
 * Seccomp architectures: the AUDIT_ARCH value the kernel puts in seccomp_data.arch and the
 * syscall table, for the architectures a runtime on x86_64 or aarch64 can meet.
 */
import { TsdError } from '../../api/errors.js';
import type { LinuxSeccompArch } from '../../api/oci-runtime-spec.js';
import * as tables from './syscall-tables.js';
import type { SyscallTable } from './syscall-tables.js';

export interface SeccompArch {
  name: LinuxSeccompArch;
  /** linux/audit.h AUDIT_ARCH_* */
  audit: number;
  table: SyscallTable;
  /** Numbers above this are syscalls newer than the table (ENOSYS stub). */
  highest: number;
}

/** ARM's private calls (cacheflush, set_tls...) live at 0x0f0000, far above the regular ones. */
const ARM_PRIVATE_BASE = 0x0f0000;

function arch(name: LinuxSeccompArch, audit: number, table: SyscallTable): SeccompArch {
  const regular = Object.values(table).filter((nr) => name !== 'SCMP_ARCH_ARM' || nr < ARM_PRIVATE_BASE);
  return { name, audit, table, highest: Math.max(...regular) };
}

/** x32 shares AUDIT_ARCH_X86_64; its syscall numbers carry this bit. */
export const X32_SYSCALL_BIT = 0x40000000;

const X86_64 = arch('SCMP_ARCH_X86_64', 0xc000003e, tables.x86_64);
const X86 = arch('SCMP_ARCH_X86', 0x40000003, tables.i386);
const X32 = arch('SCMP_ARCH_X32', 0xc000003e, tables.x32);
const AARCH64 = arch('SCMP_ARCH_AARCH64', 0xc00000b7, tables.aarch64);
const ARM = arch('SCMP_ARCH_ARM', 0x40000028, tables.arm);

/** Every architecture name of the runtime-spec; used to reject misspellings. */
const KNOWN: ReadonlySet<string> = new Set<LinuxSeccompArch>([
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64',
]);

export interface ArchPlan {
  /** Sections of the filter, native first; dispatched on seccomp_data.arch. */
  sections: SeccompArch[];
  /** x32 syscalls (x86_64 arch value with X32_SYSCALL_BIT) are matched against this table. */
  x32?: SeccompArch;
}

/**
 * The sections a filter for `arch` contains: the native architecture always (libseccomp adds
 * it to every filter), plus the configured ones this kernel can run. Foreign architectures in
 * the list (mips on x86_64...) can never occur in seccomp_data and are dropped.
 */
export function archPlan(configured: readonly string[] | undefined, arch: NodeJS.Architecture): ArchPlan {
  for (const name of configured ?? []) {
    if (!KNOWN.has(name)) {
      throw new TsdError('invalid-argument', `linux.seccomp.architectures: unknown architecture ${JSON.stringify(name)}`);
    }
  }
  const wants = new Set(configured ?? []);
  switch (arch) {
    case 'x64': {
      const plan: ArchPlan = { sections: [X86_64] };
      if (wants.has('SCMP_ARCH_X86')) plan.sections.push(X86);
      if (wants.has('SCMP_ARCH_X32')) plan.x32 = X32;
      return plan;
    }
    case 'arm64':
      return { sections: wants.has('SCMP_ARCH_ARM') ? [AARCH64, ARM] : [AARCH64] };
    default:
      throw new TsdError('unsupported', `seccomp: no syscall tables for the ${arch} architecture (x64 and arm64 are supported)`);
  }
}
