/**
 * The compiled filters in a real kernel: a test-only loader (a few lines of C built here with
 * gcc; the runtime's C helper does the same) sets no_new_privs, installs the filter with
 * seccomp(SECCOMP_SET_MODE_FILTER) and execs a program, whose syscalls the kernel then filters.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LinuxSeccomp } from '../../guest/api/oci-runtime-spec.js';
import { compileSeccomp, seccompFlags } from '../../guest/runc/seccomp/index.js';
import * as tables from '../../guest/runc/seccomp/syscall-tables.js';
import { buildSeccompLoader } from '../helpers/seccomp-loader.js';

const dir = mkdtempSync(join(tmpdir(), 'tsdtest-seccomp-'));
let loader = '';

test.before(() => {
  loader = buildSeccompLoader(dir);
});

test.after.always(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;

/** Runs `node -e script` under the filter; the script prints JSON on stdout. */
function underFilter(config: LinuxSeccomp, script: string) {
  const file = join(dir, `filter-${counter++}.bpf`);
  writeFileSync(file, compileSeccomp(config, process.arch));
  return spawnSync(loader, [file, String(seccompFlags(config)), process.execPath, '-e', script], { encoding: 'utf8' });
}

const MKDIR_PROBE = `
const fs = require('node:fs');
const out = {};
try { fs.mkdirSync(${JSON.stringify(dir)} + '/made-' + process.pid); out.mkdir = 'ok'; } catch (e) { out.mkdir = e.code; }
try { fs.readFileSync('/proc/self/status', 'utf8'); out.read = 'ok'; } catch (e) { out.read = e.code; }
console.log(JSON.stringify(out));
`;

test('a denied mkdir fails with the configured errno while other syscalls work', (t) => {
  for (const [errnoRet, code] of [[1, 'EPERM'], [38, 'ENOSYS'], [13, 'EACCES']] as const) {
    const r = underFilter(
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet }] },
      MKDIR_PROBE,
    );
    t.is(r.status, 0, r.stderr);
    t.deepEqual(JSON.parse(r.stdout), { mkdir: code, read: 'ok' });
  }
  const free = underFilter({ defaultAction: 'SCMP_ACT_ALLOW' }, MKDIR_PROBE);
  t.deepEqual(JSON.parse(free.stdout), { mkdir: 'ok', read: 'ok' });
});

test('argument conditions are evaluated by the kernel', (t) => {
  // Deny mkdir only when the mode argument is 0o711 (mkdir: arg 1, mkdirat: arg 2).
  const r = underFilter(
    {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 1, value: 0o711, op: 'SCMP_CMP_EQ' }] },
        { names: ['mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 2, value: 0o711, op: 'SCMP_CMP_EQ' }] },
      ],
    },
    `const fs = require('node:fs'); const out = {};
     for (const mode of [0o711, 0o755]) {
       try { fs.mkdirSync(${JSON.stringify(dir)} + '/m' + mode + '-' + process.pid, mode); out[mode] = 'ok'; } catch (e) { out[mode] = e.code; }
     }
     console.log(JSON.stringify(out));`,
  );
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), { [0o711]: 'EPERM', [0o755]: 'ok' });
});

test('SCMP_ACT_KILL_PROCESS kills the process with SIGSYS', (t) => {
  const r = underFilter(
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL_PROCESS' }] },
    MKDIR_PROBE,
  );
  t.is(r.signal, 'SIGSYS');
  t.is(r.stdout, '');
});

test('a Docker-default-shaped allow-list (default ERRNO) is accepted by the kernel and runs node', (t) => {
  const arch = process.arch === 'arm64' ? tables.aarch64 : tables.x86_64;
  const denied = new Set(['mkdir', 'mkdirat', 'mount', 'unshare', 'setns', 'ptrace', 'reboot', 'clone3']);
  const names = Object.keys(arch).filter((n) => !denied.has(n));
  const r = underFilter(
    {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
      flags: ['SECCOMP_FILTER_FLAG_TSYNC'],
      syscalls: [
        { names, action: 'SCMP_ACT_ALLOW' },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      ],
    },
    MKDIR_PROBE,
  );
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), { mkdir: 'EPERM', read: 'ok' });
});
