/**
 * A test-only seccomp loader, a few lines of C built with gcc: `loader FILTER FLAGS PROGRAM ARGS…`
 * sets no_new_privs, installs the raw sock_filter[] in FILTER with seccomp(SECCOMP_SET_MODE_FILTER,
 * FLAGS) and execs PROGRAM, whose syscalls the kernel then filters (the runtime's C helper does
 * the same before execve). Exit codes 121–125 mean the loader itself failed.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LOADER_C = `
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
/* loader FILTER FLAGS PROGRAM ARGS... */
int main(int argc, char **argv) {
  static struct sock_filter insns[4096];
  if (argc < 4) return 125;
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror("fopen"); return 124; }
  size_t n = fread(insns, sizeof insns[0], 4096, f);
  struct sock_fprog prog = { .len = (unsigned short)n, .filter = insns };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) { perror("prctl"); return 123; }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, strtoul(argv[2], 0, 0), &prog)) { perror("seccomp"); return 122; }
  execv(argv[3], argv + 3);
  perror("execv");
  return 121;
}
`;

/** Builds the loader in `dir` and returns its path. */
export function buildSeccompLoader(dir: string): string {
  const loader = join(dir, 'seccomp-loader');
  writeFileSync(`${loader}.c`, LOADER_C);
  execFileSync('gcc', ['-O1', '-o', loader, `${loader}.c`]);
  return loader;
}
