/**
 * Seccomp for tsd-runc: the OCI `linux.seccomp` section → a classic-BPF program that the C
 * helper loads with seccomp(SECCOMP_SET_MODE_FILTER, seccompFlags(config), &prog) as the last
 * step before execve. See README.md beside this file.
 */
export { compileSeccomp, compileInstructions } from './compile.js';
export { seccompFlags, SECCOMP_RET, SECCOMP_FILTER_FLAG } from './actions.js';
export type { SockFilter } from './bpf.js';
export { BPF_MAXINSNS } from './bpf.js';
