/**
 * The shape of the filter (all decisions are made here; bpf.ts only places instructions):
 *
 *   ld arch; jeq AUDIT_ARCH_<section> → section ...; else KILL_PROCESS       (bad architecture)
 *   section: ld nr
 *            [x86_64] nr ≥ X32_SYSCALL_BIT → x32 section, or KILL_PROCESS without SCMP_ARCH_X32
 *            jeq nr → rules-of-nr ...
 *            [default ERRNO] nr > highest known → ERRNO(ENOSYS)             (runc's -ENOSYS stub)
 *            ret default
 *   rules-of-nr: conditional rules in config order (all args of a rule ANDed, rules ORed:
 *            first that matches returns its action), then the first unconditional rule,
 *            else the default action.
 *
 * Syscall names the architecture's table lacks are skipped, as runc does, so one profile
 * serves several architectures.
 */
import { TsdError } from '../../api/errors.js';
import type { LinuxSeccomp, LinuxSeccompArg } from '../../api/oci-runtime-spec.js';
import { actionValue, ENOSYS, SECCOMP_RET } from './actions.js';
import { type ArchPlan, archPlan, type SeccompArch, X32_SYSCALL_BIT } from './arch.js';
import { compareArg } from './args.js';
import { type AsmInsn, BPF_MAXINSNS, assemble, encode, Label, type SockFilter } from './bpf.js';

const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
/** Syscalls per dispatch chunk: small enough that the chunk and its blocks stay within 255. */
const DISPATCH_CHUNK = 96;

/** One rule after validation: its action's return value and its (ANDed) conditions. */
interface Rule {
  ret: number;
  args: LinuxSeccompArg[];
  where: string;
}

interface Policy {
  defaultRet: number;
  /** Syscall name → rules in config order. */
  rules: Map<string, Rule[]>;
  enosysStub: boolean;
}

/** The filter as instructions (tests interpret these; the loader takes `encode(...)`). */
export function compileInstructions(config: LinuxSeccomp, arch: NodeJS.Architecture): SockFilter[] {
  const policy = readPolicy(config);
  const plan = archPlan(config.architectures, arch);
  const program = emit(policy, plan);
  const filters = assemble(program);
  if (filters.length > BPF_MAXINSNS) {
    throw new TsdError(
      'invalid-argument',
      `linux.seccomp: the filter needs ${filters.length} BPF instructions, more than the kernel's limit of ${BPF_MAXINSNS}`,
    );
  }
  return filters;
}

export function compileSeccomp(config: LinuxSeccomp, arch: NodeJS.Architecture): Buffer {
  return encode(compileInstructions(config, arch));
}

function readPolicy(config: LinuxSeccomp): Policy {
  if (config.listenerPath !== undefined && config.listenerPath !== '') {
    throw new TsdError('unsupported', 'linux.seccomp.listenerPath: seccomp user notification is not supported by tsd-runc');
  }
  const defaultRet = actionValue(config.defaultAction, config.defaultErrnoRet, 'linux.seccomp.defaultAction');
  const rules = new Map<string, Rule[]>();
  (config.syscalls ?? []).forEach((syscall, i) => {
    const where = `linux.seccomp.syscalls[${i}]`;
    const ret = actionValue(syscall.action, syscall.errnoRet, where);
    if (!Array.isArray(syscall.names) || syscall.names.length === 0) {
      throw new TsdError('invalid-argument', `${where}.names: at least one syscall name is required`);
    }
    for (const name of syscall.names) {
      const list = rules.get(name) ?? [];
      list.push({ ret, args: syscall.args ?? [], where });
      rules.set(name, list);
    }
  });
  return { defaultRet, rules, enosysStub: config.defaultAction === 'SCMP_ACT_ERRNO' };
}

function emit(policy: Policy, plan: ArchPlan): AsmInsn[] {
  const badArch = new Label('bad-arch');
  const enosys = new Label('enosys');
  const sectionLabels = plan.sections.map((s) => new Label(`arch ${s.name}`));
  const x32Label = new Label('arch SCMP_ARCH_X32');

  const code: AsmInsn[] = [{ kind: 'ld', offset: OFFSET_ARCH }];
  plan.sections.forEach((section, i) => {
    const last = i === plan.sections.length - 1;
    const next = last ? badArch : new Label(`not ${section.name}`);
    code.push({ kind: 'jump', op: 'jeq', k: section.audit, jt: sectionLabels[i]!, jf: next });
    if (!last) code.push({ kind: 'label', label: next });
  });

  plan.sections.forEach((section, i) => {
    code.push({ kind: 'label', label: sectionLabels[i]! }, { kind: 'ld', offset: OFFSET_NR });
    if (section.name === 'SCMP_ARCH_X86_64') {
      const native = new Label('x86_64 native nr');
      const x32 = plan.x32 ? x32Label : badArch;
      code.push({ kind: 'jump', op: 'jge', k: X32_SYSCALL_BIT, jt: x32, jf: native }, { kind: 'label', label: native });
    }
    code.push(...sectionBody(policy, section, enosys));
  });
  if (plan.x32) code.push({ kind: 'label', label: x32Label }, ...sectionBody(policy, plan.x32, enosys));

  code.push({ kind: 'label', label: enosys }, { kind: 'ret', k: (SECCOMP_RET.ERRNO | ENOSYS) >>> 0 });
  // Jumps only go forward, so the shared returns come last.
  code.push({ kind: 'label', label: badArch }, { kind: 'ret', k: SECCOMP_RET.KILL_PROCESS });
  return code;
}

/**
 * Dispatch on the syscall number (A holds it) and the rule blocks of one architecture.
 * Conditional jumps reach 255 instructions, so the dispatch runs in chunks: each chunk's
 * `jeq`s jump to blocks placed right after it, and syscalls with identical rules share one
 * block (all plain ALLOWs of a chunk share a single `ret`). This keeps Docker's default
 * profile near one instruction per syscall; bpf.ts still handles any jump that ends up far.
 */
function sectionBody(policy: Policy, arch: SeccompArch, enosys: Label): AsmInsn[] {
  const code: AsmInsn[] = [];
  const present = [...policy.rules.entries()]
    .filter(([name]) => arch.table[name] !== undefined)
    .map(([name, rules]) => ({ name, nr: arch.table[name]!, rules }))
    .sort((a, b) => a.nr - b.nr);
  for (let start = 0; start < present.length || start === 0; start += DISPATCH_CHUNK) {
    const chunk = present.slice(start, start + DISPATCH_CHUNK);
    const blocks = new Map<string, { label: Label; code: AsmInsn[] }>();
    for (const { name, nr, rules } of chunk) {
      const key = JSON.stringify(rules.map((r) => [r.ret, r.args]));
      let block = blocks.get(key);
      if (!block) {
        block = { label: new Label(`${arch.name} ${name}`), code: ruleBlock(rules, policy.defaultRet, `${arch.name} ${name}`) };
        blocks.set(key, block);
      }
      const next = new Label(`${arch.name} not ${name}`);
      code.push({ kind: 'jump', op: 'jeq', k: nr, jt: block.label, jf: next }, { kind: 'label', label: next });
    }
    const last = start + DISPATCH_CHUNK >= present.length;
    const nextChunk = new Label(`${arch.name} dispatch from ${start + DISPATCH_CHUNK}`);
    if (last && policy.enosysStub) {
      // After the listed syscalls (ARM's private ones sit above the regular range).
      const known = new Label(`${arch.name} known`);
      code.push({ kind: 'jump', op: 'jgt', k: arch.highest, jt: enosys, jf: known }, { kind: 'label', label: known });
    }
    code.push(last ? { kind: 'ret', k: policy.defaultRet } : { kind: 'ja', target: nextChunk });
    for (const block of blocks.values()) code.push({ kind: 'label', label: block.label }, ...block.code);
    if (last) break;
    code.push({ kind: 'label', label: nextChunk });
  }
  return code;
}

function ruleBlock(rules: readonly Rule[], defaultRet: number, name: string): AsmInsn[] {
  const code: AsmInsn[] = [];
  rules.forEach((rule, r) => {
    if (rule.args.length === 0) return;
    const nextRule = new Label(`${name} rule ${r} failed`);
    rule.args.forEach((arg, a) => {
      const pass = new Label(`${name} rule ${r} arg ${a} holds`);
      code.push(...compareArg(arg, pass, nextRule, `${rule.where}.args[${a}]`), { kind: 'label', label: pass });
    });
    code.push({ kind: 'ret', k: rule.ret }, { kind: 'label', label: nextRule });
  });
  const unconditional = rules.find((rule) => rule.args.length === 0);
  code.push({ kind: 'ret', k: unconditional ? unconditional.ret : defaultRet });
  return code;
}
