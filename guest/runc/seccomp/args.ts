/**
 * Code for one argument comparison. seccomp_data.args[i] is a u64 at offset 16 + 8i; classic
 * BPF loads 32-bit words, so each comparison tests the high half first and the low half only
 * when the high halves are equal (unsigned 64-bit order, as libseccomp compares).
 * Little-endian layout: low word at +0, high word at +4 (x86_64, i386, x32 and aarch64).
 */
import { TsdError } from '../../api/errors.js';
import type { LinuxSeccompArg } from '../../api/oci-runtime-spec.js';
import { type AsmInsn, Label } from './bpf.js';

const ARGS_OFFSET = 16;
const MAX_U64 = (1n << 64n) - 1n;

interface Halves {
  hi: number;
  lo: number;
}

/** Emits code that continues at `pass` when the comparison holds and jumps to `fail` otherwise. */
export function compareArg(arg: LinuxSeccompArg, pass: Label, fail: Label, where: string): AsmInsn[] {
  if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > 5) {
    throw new TsdError('invalid-argument', `${where}.index: ${arg.index} is not an argument index 0..5`);
  }
  const lo = ARGS_OFFSET + 8 * arg.index;
  const hi = lo + 4;
  const v = halves(arg.value, `${where}.value`);
  const checkLow = new Label(`${where}.low`);
  const L = (label: Label): AsmInsn => ({ kind: 'label', label });

  switch (arg.op) {
    case 'SCMP_CMP_EQ':
      return [
        { kind: 'ld', offset: hi }, { kind: 'jump', op: 'jeq', k: v.hi, jt: checkLow, jf: fail }, L(checkLow),
        { kind: 'ld', offset: lo }, { kind: 'jump', op: 'jeq', k: v.lo, jt: pass, jf: fail },
      ];
    case 'SCMP_CMP_NE':
      return [
        { kind: 'ld', offset: hi }, { kind: 'jump', op: 'jeq', k: v.hi, jt: checkLow, jf: pass }, L(checkLow),
        { kind: 'ld', offset: lo }, { kind: 'jump', op: 'jeq', k: v.lo, jt: fail, jf: pass },
      ];
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE': {
      const low: AsmInsn = { kind: 'jump', op: arg.op === 'SCMP_CMP_GT' ? 'jgt' : 'jge', k: v.lo, jt: pass, jf: fail };
      return [...highOrder(hi, v.hi, pass, fail, checkLow), L(checkLow), { kind: 'ld', offset: lo }, low];
    }
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE': {
      // a < b is !(a >= b); a <= b is !(a > b): the same tests with the outcomes swapped.
      const low: AsmInsn = { kind: 'jump', op: arg.op === 'SCMP_CMP_LE' ? 'jgt' : 'jge', k: v.lo, jt: fail, jf: pass };
      return [...highOrder(hi, v.hi, fail, pass, checkLow), L(checkLow), { kind: 'ld', offset: lo }, low];
    }
    case 'SCMP_CMP_MASKED_EQ': {
      const d = halves(arg.valueTwo ?? 0, `${where}.valueTwo`);
      return [
        { kind: 'ld', offset: hi }, { kind: 'and', k: v.hi }, { kind: 'jump', op: 'jeq', k: d.hi, jt: checkLow, jf: fail },
        L(checkLow),
        { kind: 'ld', offset: lo }, { kind: 'and', k: v.lo }, { kind: 'jump', op: 'jeq', k: d.lo, jt: pass, jf: fail },
      ];
    }
    default:
      throw new TsdError('invalid-argument', `${where}.op: unknown operator ${JSON.stringify(arg.op)}`);
  }
}

/** High word: greater → `above`, less → `below`, equal → `equal`. */
function highOrder(offset: number, k: number, above: Label, below: Label, equal: Label): AsmInsn[] {
  const notAbove = new Label('high.not-above');
  return [
    { kind: 'ld', offset },
    { kind: 'jump', op: 'jgt', k, jt: above, jf: notAbove },
    { kind: 'label', label: notAbove },
    { kind: 'jump', op: 'jeq', k, jt: equal, jf: below },
  ];
}

/**
 * Splits a u64 argument value. JSON numbers above 2^53 have already lost precision when
 * parsed; callers that need them exact may pass a bigint.
 */
function halves(value: number | bigint, where: string): Halves {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number' && Number.isInteger(value)) big = BigInt(value);
  else throw new TsdError('invalid-argument', `${where}: ${String(value)} is not an unsigned 64-bit integer`);
  if (big < 0n || big > MAX_U64) {
    throw new TsdError('invalid-argument', `${where}: ${big} is outside the unsigned 64-bit range`);
  }
  return { hi: Number(big >> 32n), lo: Number(big & 0xffffffffn) };
}
