/**
 * A tiny classic-BPF assembler for seccomp programs.
 *
 * Code is written as a list of instructions whose jumps name labels; `assemble` places them.
 * Conditional jumps in classic BPF reach at most 255 instructions forward, so a jump whose
 * label is farther is rewritten as `jcond k, +0, +1; ja jt; ja jf` (`ja` has a 32-bit offset).
 * Rewriting grows the code and can push other jumps out of reach, so placement repeats until
 * nothing changes (it only ever grows, so it ends).
 */
import { TsdError } from '../../api/errors.js';

/** struct sock_filter opcodes (linux/filter.h, linux/bpf_common.h). */
const BPF_LD_W_ABS = 0x20;
const BPF_ALU_AND_K = 0x54;
const BPF_JMP_JA = 0x05;
const BPF_RET_K = 0x06;
const JUMP_OPCODES = { jeq: 0x15, jgt: 0x25, jge: 0x35, jset: 0x45 } as const;

/** The kernel refuses longer programs (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

export type JumpOp = keyof typeof JUMP_OPCODES;

export class Label {
  constructor(readonly name: string) {}
}

export type AsmInsn =
  | { kind: 'label'; label: Label }
  /** A = 32-bit word of seccomp_data at `offset`. */
  | { kind: 'ld'; offset: number }
  | { kind: 'and'; k: number }
  | { kind: 'ret'; k: number }
  | { kind: 'ja'; target: Label }
  /** if (A op k) goto jt else goto jf (unsigned comparisons). */
  | { kind: 'jump'; op: JumpOp; k: number; jt: Label; jf: Label };

type Placed = Exclude<AsmInsn, { kind: 'label' }>;

interface Slot {
  insn: Placed;
  /** Whether this conditional jump needed the long (3-instruction) form. */
  long: boolean;
}

export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Places labels, resolves jumps and returns the instructions. */
export function assemble(program: readonly AsmInsn[]): SockFilter[] {
  const slots: Slot[] = [];
  // Label → index of the first slot after it.
  const labelSlot = new Map<Label, number>();
  for (const insn of program) {
    if (insn.kind === 'label') {
      if (labelSlot.has(insn.label)) throw internal(`label ${insn.label.name} placed twice`);
      labelSlot.set(insn.label, slots.length);
    } else {
      slots.push({ insn, long: false });
    }
  }

  let starts = place(slots);
  const target = (label: Label): number => {
    const slot = labelSlot.get(label);
    if (slot === undefined) throw internal(`label ${label.name} is never placed`);
    return starts[slot]!;
  };
  for (let changed = true; changed; ) {
    changed = false;
    slots.forEach((slot, i) => {
      if (slot.insn.kind !== 'jump' || slot.long) return;
      const next = starts[i]! + 1;
      const reach = (label: Label) => target(label) - next <= 255;
      if (!reach(slot.insn.jt) || !reach(slot.insn.jf)) {
        slot.long = true;
        changed = true;
      }
    });
    if (changed) starts = place(slots);
  }

  const out: SockFilter[] = [];
  const forward = (label: Label, from: number): number => {
    const offset = target(label) - from;
    if (offset < 0) throw internal(`backward jump to ${label.name}`);
    return offset;
  };
  for (const { insn, long } of slots) {
    const here = out.length;
    switch (insn.kind) {
      case 'ld':
        out.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: insn.offset });
        break;
      case 'and':
        out.push({ code: BPF_ALU_AND_K, jt: 0, jf: 0, k: insn.k >>> 0 });
        break;
      case 'ret':
        out.push({ code: BPF_RET_K, jt: 0, jf: 0, k: insn.k >>> 0 });
        break;
      case 'ja':
        out.push({ code: BPF_JMP_JA, jt: 0, jf: 0, k: forward(insn.target, here + 1) });
        break;
      case 'jump':
        if (long) {
          out.push({ code: JUMP_OPCODES[insn.op], jt: 0, jf: 1, k: insn.k >>> 0 });
          out.push({ code: BPF_JMP_JA, jt: 0, jf: 0, k: forward(insn.jt, here + 2) });
          out.push({ code: BPF_JMP_JA, jt: 0, jf: 0, k: forward(insn.jf, here + 3) });
        } else {
          const jt = forward(insn.jt, here + 1);
          const jf = forward(insn.jf, here + 1);
          out.push({ code: JUMP_OPCODES[insn.op], jt, jf, k: insn.k >>> 0 });
        }
        break;
    }
  }
  return out;
}

/** Start index of every slot given the current short/long choices. */
function place(slots: readonly Slot[]): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const slot of slots) {
    starts.push(at);
    at += slot.long ? 3 : 1;
  }
  return starts;
}

/** struct sock_filter[] in the machine's byte order (little-endian on x86_64 and aarch64). */
export function encode(filters: readonly SockFilter[]): Buffer {
  const buf = Buffer.alloc(filters.length * 8);
  filters.forEach((f, i) => {
    buf.writeUInt16LE(f.code, i * 8);
    buf.writeUInt8(f.jt, i * 8 + 2);
    buf.writeUInt8(f.jf, i * 8 + 3);
    buf.writeUInt32LE(f.k >>> 0, i * 8 + 4);
  });
  return buf;
}

function internal(message: string): TsdError {
  return new TsdError('internal', `seccomp assembler: ${message}`);
}
