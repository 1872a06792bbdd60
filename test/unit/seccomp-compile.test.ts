/**
 * compileSeccomp, checked by running the generated program in a small classic-BPF interpreter
 * (written here, for the test) over synthetic seccomp_data and asserting the kernel action.
 */
import test from 'ava';
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSeccompOperator } from '../../guest/api/oci-runtime-spec.js';
import { BPF_MAXINSNS, compileSeccomp, SECCOMP_RET, seccompFlags } from '../../guest/runc/seccomp/index.js';
import * as tables from '../../guest/runc/seccomp/syscall-tables.js';

const AUDIT = { x86_64: 0xc000003e, i386: 0x40000003, aarch64: 0xc00000b7, arm: 0x40000028 };
const ALLOW = SECCOMP_RET.ALLOW;
const KILL_PROCESS = SECCOMP_RET.KILL_PROCESS;
const errno = (e: number) => (SECCOMP_RET.ERRNO | e) >>> 0;

interface Data {
  nr: number;
  arch: number;
  args?: bigint[];
}

/** Evaluates a struct sock_filter[] the way the kernel's classic BPF does for seccomp. */
function run(program: Buffer, data: Data): number {
  const sd = Buffer.alloc(64);
  sd.writeInt32LE(data.nr | 0, 0);
  sd.writeUInt32LE(data.arch, 4);
  (data.args ?? []).forEach((a, i) => sd.writeBigUInt64LE(a, 16 + 8 * i));
  const n = program.length / 8;
  let a = 0;
  let pc = 0;
  for (let steps = 0; steps < 100_000; steps++) {
    if (pc < 0 || pc >= n) throw new Error(`pc ${pc} outside the program (${n} instructions)`);
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    pc++;
    switch (code) {
      case 0x20:
        if (k % 4 !== 0 || k > 60) throw new Error(`bad load offset ${k}`);
        a = sd.readUInt32LE(k);
        break;
      case 0x54:
        a = (a & k) >>> 0;
        break;
      case 0x05:
        pc += k;
        break;
      case 0x15:
        pc += a === k ? jt : jf;
        break;
      case 0x25:
        pc += a > k ? jt : jf;
        break;
      case 0x35:
        pc += a >= k ? jt : jf;
        break;
      case 0x45:
        pc += (a & k) !== 0 ? jt : jf;
        break;
      case 0x06:
        return k;
      default:
        throw new Error(`unknown opcode 0x${code.toString(16)} at ${pc - 1}`);
    }
  }
  throw new Error('program did not return');
}

const x86 = (config: LinuxSeccomp) => compileSeccomp(config, 'x64');
const nr = tables.x86_64;

test('a denied syscall returns the configured errno; others follow the default action', (t) => {
  const prog = x86({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      { names: ['rmdir'], action: 'SCMP_ACT_ERRNO' },
      { names: ['chmod'], action: 'SCMP_ACT_KILL' },
      { names: ['chown'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['fchmod'], action: 'SCMP_ACT_TRAP' },
      { names: ['fchown'], action: 'SCMP_ACT_TRACE', errnoRet: 7 },
      { names: ['link'], action: 'SCMP_ACT_LOG' },
    ],
  });
  const on = (n: number) => run(prog, { nr: n, arch: AUDIT.x86_64 });
  t.is(on(nr.mkdir!), errno(38));
  t.is(on(nr.mkdirat!), errno(38));
  t.is(on(nr.rmdir!), errno(1), 'errnoRet defaults to EPERM');
  t.is(on(nr.chmod!), SECCOMP_RET.KILL_THREAD);
  t.is(on(nr.chown!), KILL_PROCESS);
  t.is(on(nr.fchmod!), SECCOMP_RET.TRAP);
  t.is(on(nr.fchown!), (SECCOMP_RET.TRACE | 7) >>> 0);
  t.is(on(nr.link!), SECCOMP_RET.LOG);
  t.is(on(nr.read!), ALLOW);
  t.is(on(nr.write!), ALLOW);
});

test('default ERRNO uses defaultErrnoRet; syscalls newer than the table get ENOSYS', (t) => {
  const prog = x86({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 13, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] });
  t.is(run(prog, { nr: nr.read!, arch: AUDIT.x86_64 }), ALLOW);
  t.is(run(prog, { nr: nr.write!, arch: AUDIT.x86_64 }), errno(13));
  const highest = Math.max(...Object.values(nr));
  t.is(run(prog, { nr: highest, arch: AUDIT.x86_64 }), errno(13));
  t.is(run(prog, { nr: highest + 1, arch: AUDIT.x86_64 }), errno(38));
  // ARM's private calls sit above the regular range: listed ones still match, others get ENOSYS.
  const arm = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_ARM'], syscalls: [
    { names: ['cacheflush', 'read'], action: 'SCMP_ACT_ALLOW' },
  ] }, 'arm64');
  t.is(run(arm, { nr: tables.arm.cacheflush!, arch: AUDIT.arm }), ALLOW);
  t.is(run(arm, { nr: tables.arm.set_tls!, arch: AUDIT.arm }), errno(38));
  t.is(run(arm, { nr: tables.arm.write!, arch: AUDIT.arm }), errno(1));
  const allowAll = x86({ defaultAction: 'SCMP_ACT_ALLOW' });
  t.is(run(allowAll, { nr: highest + 1, arch: AUDIT.x86_64 }), ALLOW, 'no ENOSYS stub when the default allows');
});

test('architectures: only configured (and native) ones pass, each with its own numbers', (t) => {
  const rules: LinuxSeccomp['syscalls'] = [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 5 }];
  const nativeOnly = x86({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: rules });
  t.is(run(nativeOnly, { nr: tables.i386.mkdir!, arch: AUDIT.i386 }), KILL_PROCESS);
  t.is(run(nativeOnly, { nr: 0, arch: AUDIT.aarch64 }), KILL_PROCESS);
  t.is(run(nativeOnly, { nr: tables.x32.mkdir!, arch: AUDIT.x86_64 }), KILL_PROCESS, 'x32 calls need SCMP_ARCH_X32');

  const all = x86({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: rules });
  t.is(run(all, { nr: tables.i386.mkdir!, arch: AUDIT.i386 }), errno(5));
  t.is(run(all, { nr: nr.mkdir!, arch: AUDIT.i386 }), ALLOW, 'x86_64 mkdir number is another syscall on i386');
  t.is(run(all, { nr: tables.x32.mkdir!, arch: AUDIT.x86_64 }), errno(5));
  t.is(run(all, { nr: tables.x32.read!, arch: AUDIT.x86_64 }), ALLOW);

  const arm = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'], syscalls: [
    { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 5 },
  ] }, 'arm64');
  t.is(run(arm, { nr: tables.aarch64.mkdirat!, arch: AUDIT.aarch64 }), errno(5));
  t.is(run(arm, { nr: tables.aarch64.read!, arch: AUDIT.aarch64 }), ALLOW);
  t.is(run(arm, { nr: tables.arm.mkdir!, arch: AUDIT.arm }), errno(5), '32-bit ARM tasks are filtered with the arm table');
  t.is(run(arm, { nr: tables.aarch64.mkdirat!, arch: AUDIT.arm }), ALLOW, 'aarch64 numbers mean other syscalls on arm');
  t.is(run(arm, { nr: 0, arch: AUDIT.x86_64 }), KILL_PROCESS);
  const arm64Only = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }, 'arm64');
  t.is(run(arm64Only, { nr: 0, arch: AUDIT.arm }), KILL_PROCESS, 'without SCMP_ARCH_ARM, arm32 tasks are refused');
});

test('unknown syscall names are skipped, not fatal', (t) => {
  const prog = x86({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [
    { names: ['socketcall', 'no_such_syscall', 'mkdir'], action: 'SCMP_ACT_ERRNO' },
  ] });
  t.is(run(prog, { nr: nr.mkdir!, arch: AUDIT.x86_64 }), errno(1));
});

/** Reference semantics: unsigned 64-bit comparison as libseccomp defines it. */
function holds(op: LinuxSeccompOperator, arg: bigint, value: bigint, valueTwo: bigint): boolean {
  switch (op) {
    case 'SCMP_CMP_EQ': return arg === value;
    case 'SCMP_CMP_NE': return arg !== value;
    case 'SCMP_CMP_LT': return arg < value;
    case 'SCMP_CMP_LE': return arg <= value;
    case 'SCMP_CMP_GT': return arg > value;
    case 'SCMP_CMP_GE': return arg >= value;
    case 'SCMP_CMP_MASKED_EQ': return (arg & value) === valueTwo;
  }
}

test('argument comparisons match unsigned 64-bit semantics on both halves', (t) => {
  const ops: LinuxSeccompOperator[] = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE', 'SCMP_CMP_MASKED_EQ'];
  const values = [0n, 1n, 7n, 0xffffffffn, 0x100000000n, 0x100000007n, 0x7fffffff00000000n, 2n ** 53n - 1n];
  const probes = [...values, 6n, 8n, 0xfffffffen, 0x100000006n, 0x200000000n, 0xffffffffffffffffn];
  for (const op of ops) {
    for (const value of values) {
      const valueTwo = op === 'SCMP_CMP_MASKED_EQ' ? value & 0x500000005n : 0n;
      const arg: LinuxSeccompArg = { index: 3, value: Number(value), valueTwo: Number(valueTwo), op };
      const prog = x86({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [arg] }] });
      for (const probe of probes) {
        const args = [0n, 0n, 0n, probe, 0n, 0n];
        const got = run(prog, { nr: nr.ioctl!, arch: AUDIT.x86_64, args });
        const want = holds(op, probe, value, valueTwo) ? errno(1) : ALLOW;
        t.is(got, want, `${op} arg=${probe.toString(16)} value=${value.toString(16)}`);
      }
    }
  }
});

test('args of one rule are ANDed; rules for the same syscall are ORed; unconditional rule last', (t) => {
  const prog = x86({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_EQ' }] },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [
        { index: 0, value: 2, op: 'SCMP_CMP_EQ' },
        { index: 1, value: 3, op: 'SCMP_CMP_LT' },
      ] },
      { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 3 },
      { names: ['kill'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] },
    ],
  });
  const call = (n: number, ...args: bigint[]) => run(prog, { nr: n, arch: AUDIT.x86_64, args });
  t.is(call(nr.personality!, 8n), ALLOW);
  t.is(call(nr.personality!, 0xffffffffn), ALLOW);
  t.is(call(nr.personality!, 1n), errno(1));
  t.is(call(nr.socket!, 2n, 1n), ALLOW);
  t.is(call(nr.socket!, 2n, 3n), errno(1));
  t.is(call(nr.socket!, 10n, 1n), errno(1));
  t.is(call(nr.kill!, 100n, 0n), ALLOW, 'the conditional rule is tried before the unconditional one');
  t.is(call(nr.kill!, 100n, 9n), errno(3));
});

test('long programs: jumps beyond 255 instructions are chained and stay correct', (t) => {
  // One syscall with many conditional rules makes a block far larger than 255 instructions,
  // and every syscall listed makes the dispatch longer than 255.
  const many = Array.from({ length: 80 }, (_, i) => ({
    names: ['ioctl'], action: 'SCMP_ACT_ERRNO' as const, errnoRet: 100 + i,
    args: [{ index: 1, value: 0x5400 + i, op: 'SCMP_CMP_EQ' as const }],
  }));
  const names = Object.keys(nr).filter((n) => n !== 'ioctl');
  const prog = x86({
    defaultAction: 'SCMP_ACT_KILL_PROCESS',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [...many, { names, action: 'SCMP_ACT_ERRNO', errnoRet: 9 }],
  });
  t.true(prog.length / 8 > 1000);
  t.true(prog.length / 8 <= BPF_MAXINSNS);
  for (const [name, n] of Object.entries(nr)) {
    if (name === 'ioctl') continue;
    t.is(run(prog, { nr: n, arch: AUDIT.x86_64 }), errno(9), name);
  }
  for (let i = 0; i < 80; i++) t.is(run(prog, { nr: nr.ioctl!, arch: AUDIT.x86_64, args: [0n, BigInt(0x5400 + i)] }), errno(100 + i));
  t.is(run(prog, { nr: nr.ioctl!, arch: AUDIT.x86_64, args: [0n, 1n] }), KILL_PROCESS);
  for (const [name, n] of Object.entries(tables.x32)) t.is(run(prog, { nr: n, arch: AUDIT.x86_64 }), name === 'ioctl' ? KILL_PROCESS : errno(9), `x32 ${name}`);
});

test('a program over 4096 instructions is refused with a clear error', (t) => {
  // Distinct values per syscall, so that no two syscalls can share a rule block.
  const syscalls = Object.keys(nr).map((name, i) => ({
    names: [name], action: 'SCMP_ACT_ALLOW' as const,
    args: [0, 1, 2, 3].map((index) => ({ index, value: 0x100000000 * (i + 1) + index, op: 'SCMP_CMP_GE' as const })),
  }));
  const error = t.throws(() => x86({ defaultAction: 'SCMP_ACT_ERRNO', syscalls }));
  t.regex(error.message, /needs \d+ BPF instructions, more than the kernel's limit of 4096/);
});

test('invalid configs fail with the path of the bad field', (t) => {
  const bad = (config: unknown, re: RegExp) => t.regex(t.throws(() => x86(config as LinuxSeccomp)).message, re);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY' }] }, /syscalls\[0\]: SCMP_ACT_NOTIFY .* not supported/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/x.sock' }, /listenerPath: .*not supported/);
  bad({ defaultAction: 'SCMP_ACT_NOPE' }, /defaultAction: unknown seccomp action "SCMP_ACT_NOPE"/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }] }, /syscalls\[0\]: errnoRet is only valid/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_Z80'] }, /architectures: unknown architecture "SCMP_ARCH_Z80"/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] }, /syscalls\[0\]\.args\[0\]\.index: 6/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }] }, /args\[0\]\.value: -1 is outside/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0, op: 'SCMP_CMP_XX' }] }] }, /args\[0\]\.op: unknown operator/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }, /syscalls\[0\]\.names: at least one/);
});

test('seccompFlags maps the config flags to SECCOMP_FILTER_FLAG bits', (t) => {
  t.is(seccompFlags({ defaultAction: 'SCMP_ACT_ALLOW' }), 0);
  t.is(seccompFlags({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }), 7);
  t.is(seccompFlags({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }), 32);
  t.throws(() => seccompFlags({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER' as never] }), { message: /unknown flag/ });
});

/**
 * A profile shaped like Docker's default (moby profiles/seccomp/default.json as the engine
 * hands it to the runtime for a container with default capabilities), but larger: it allows
 * every syscall both tables know except the privileged ones, keeps Docker's conditional rules
 * and lists every architecture Docker lists.
 */
function dockerShapedProfile(): LinuxSeccomp {
  const privileged = new Set(['mount', 'umount2', 'unshare', 'setns', 'bpf', 'clone', 'clone3', 'ptrace', 'reboot', 'init_module',
    'finit_module', 'delete_module', 'kexec_load', 'pivot_root', 'swapon', 'swapoff', 'personality', 'socket', 'chroot', 'syslog']);
  const names = [...new Set([...Object.keys(tables.x86_64), ...Object.keys(tables.i386), ...Object.keys(tables.aarch64), ...Object.keys(tables.arm)])]
    .filter((n) => !privileged.has(n));
  const eq = (index: number, value: number) => ({ index, value, op: 'SCMP_CMP_EQ' as const });
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
    syscalls: [
      { names, action: 'SCMP_ACT_ALLOW' },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] },
      ...[0, 8, 131072, 131080, 4294967295].map((v) => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW' as const, args: [eq(0, v)] })),
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ],
  };
}

test("a Docker-default-shaped profile compiles under 4096 instructions for x64 and arm64 and behaves", (t) => {
  const profile = dockerShapedProfile();
  for (const [arch, table, audit] of [['x64', tables.x86_64, AUDIT.x86_64], ['arm64', tables.aarch64, AUDIT.aarch64]] as const) {
    const prog = compileSeccomp(profile, arch);
    const size = prog.length / 8;
    t.log(`${arch}: ${size} instructions`);
    t.true(size <= BPF_MAXINSNS);
    const call = (name: string, ...args: bigint[]) => run(prog, { nr: table[name]!, arch: audit, args });
    t.is(call('read'), ALLOW);
    t.is(call('openat'), ALLOW);
    t.is(call('mount'), errno(1));
    t.is(call('clone', 0x11n /* SIGCHLD | CLONE_VM-less fork flags */), ALLOW);
    t.is(call('clone', 0x10000000n /* CLONE_NEWUSER */), errno(1));
    t.is(call('clone3'), errno(38));
    t.is(call('personality', 0xffffffffn), ALLOW);
    t.is(call('personality', 1n), errno(1));
    t.is(call('socket', 2n), ALLOW);
    t.is(call('socket', 40n), errno(1));
  }
});
