/**
 * Device rules on cgroup v2: the OCI rule list → an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE (pure). Loading and attaching it is device-filter-attach.ts.
 *
 * The rules are first reduced the way the v1 devices controller applies writes to
 * devices.allow / devices.deny (so both hierarchies mean the same thing):
 *   - a rule of type "a" resets: allow-all (blacklist) or deny-all (whitelist), no exceptions;
 *   - a rule whose verdict is the current default removes those access bits from the
 *     exception with the same type:major:minor;
 *   - any other rule adds an exception (merging access bits with the same key).
 * The program then answers as the v1 controller does: in a whitelist a request is allowed
 * when one exception covers all its access bits; in a blacklist it is denied when one
 * exception shares any access bit with it; otherwise the default.
 */
import { TsdError } from '../../../api/errors.js';
import type { LinuxDeviceCgroup } from '../../../api/oci-runtime-spec.js';

/** linux/bpf.h: bpf_cgroup_dev_ctx.access_type = (access << 16) | type */
const DEV_BLOCK = 1;
const DEV_CHAR = 2;
const ACC = { m: 1, r: 2, w: 4 } as const;

export interface DeviceException {
  /** Type "a" rules never become exceptions: they reset the policy. */
  type: 'b' | 'c';
  /** undefined = any */
  major?: number;
  minor?: number;
  /** ACC bits */
  access: number;
}

export interface DevicePolicy {
  defaultAllow: boolean;
  exceptions: DeviceException[];
}

/** The v1 semantics of writing the rules in order into a fresh cgroup under an allow-all parent. */
export function reduceDeviceRules(rules: readonly LinuxDeviceCgroup[]): DevicePolicy {
  let defaultAllow = true;
  let exceptions: DeviceException[] = [];
  rules.forEach((rule, i) => {
    const access = accessBits(rule.access, i);
    if (rule.type === undefined || rule.type === 'a') {
      defaultAllow = rule.allow;
      exceptions = [];
      return;
    }
    if (rule.type !== 'b' && rule.type !== 'c') {
      throw new TsdError('invalid-argument', `linux.resources.devices[${i}].type: ${JSON.stringify(rule.type)} is not a, b or c`);
    }
    const key: DeviceException = { type: rule.type, access: 0, ...wild('major', rule.major), ...wild('minor', rule.minor) };
    const same = exceptions.find((e) => e.type === key.type && e.major === key.major && e.minor === key.minor);
    if (rule.allow === defaultAllow) {
      if (same) same.access &= ~access;
      exceptions = exceptions.filter((e) => e.access !== 0);
    } else if (same) {
      same.access |= access;
    } else {
      exceptions.push({ ...key, access });
    }
  });
  return { defaultAllow, exceptions };
}

function wild(name: 'major' | 'minor', n: number | null | undefined): Partial<Record<'major' | 'minor', number>> {
  return n === undefined || n === null || n < 0 ? {} : { [name]: n };
}

function accessBits(access: string | undefined, i: number): number {
  let bits = 0;
  for (const c of access ?? 'rwm') {
    if (c !== 'r' && c !== 'w' && c !== 'm') {
      throw new TsdError('invalid-argument', `linux.resources.devices[${i}].access: ${JSON.stringify(access)} is not a subset of "rwm"`);
    }
    bits |= ACC[c];
  }
  return bits;
}

// eBPF encoding (struct bpf_insn: u8 code, u8 dst | src << 4, s16 off, s32 imm).
const LDX_W = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const MOV64_X = 0xbf;
const MOV64_K = 0xb7;
const AND64_K = 0x57;
const RSH64_K = 0x77;
const JNE32_K = 0x56; // BPF_JMP32 | BPF_JNE | BPF_K: compares the low 32 bits, unsigned imm fits
const JEQ32_K = 0x16;
const EXIT = 0x95;

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });

/** The program: registers r2 = type, r3 = access, r4 = major, r5 = minor; r0 = 1 allows. */
export function deviceFilterProgram(policy: DevicePolicy): Insn[] {
  const code: Insn[] = [
    I(LDX_W, 2, 1, 0), // r2 = ctx->access_type
    I(MOV64_X, 3, 2), //  r3 = r2
    I(AND64_K, 2, 0, 0, 0xffff), // r2 = type
    I(RSH64_K, 3, 0, 0, 16), // r3 = access
    I(LDX_W, 4, 1, 4), // r4 = ctx->major
    I(LDX_W, 5, 1, 8), // r5 = ctx->minor
  ];
  for (const e of policy.exceptions) {
    const block: Insn[] = [];
    // Each "skip" jump is patched to the end of this block once its length is known.
    block.push(I(JNE32_K, 2, 0, -1, e.type === 'b' ? DEV_BLOCK : DEV_CHAR));
    if (e.major !== undefined) block.push(I(JNE32_K, 4, 0, -1, e.major));
    if (e.minor !== undefined) block.push(I(JNE32_K, 5, 0, -1, e.minor));
    block.push(I(MOV64_X, 6, 3));
    if (policy.defaultAllow) {
      // blacklist: deny when any requested bit is listed
      block.push(I(AND64_K, 6, 0, 0, e.access), I(JEQ32_K, 6, 0, -1, 0));
    } else {
      // whitelist: allow when every requested bit is listed
      block.push(I(AND64_K, 6, 0, 0, ~e.access), I(JNE32_K, 6, 0, -1, 0));
    }
    block.push(I(MOV64_K, 0, 0, 0, policy.defaultAllow ? 0 : 1), I(EXIT));
    block.forEach((insn, at) => {
      if (insn.off === -1) insn.off = block.length - (at + 1);
    });
    code.push(...block);
  }
  code.push(I(MOV64_K, 0, 0, 0, policy.defaultAllow ? 1 : 0), I(EXIT));
  return code;
}

export function encodeEbpf(program: readonly Insn[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((insn, i) => {
    buf.writeUInt8(insn.code, i * 8);
    buf.writeUInt8((insn.dst & 0xf) | ((insn.src & 0xf) << 4), i * 8 + 1);
    buf.writeInt16LE(insn.off, i * 8 + 2);
    buf.writeInt32LE(insn.imm | 0, i * 8 + 4);
  });
  return buf;
}

export function compileDeviceFilter(rules: readonly LinuxDeviceCgroup[]): Buffer {
  return encodeEbpf(deviceFilterProgram(reduceDeviceRules(rules)));
}
