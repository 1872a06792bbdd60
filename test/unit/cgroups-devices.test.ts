/**
 * Device rules for cgroup v2: the v1-semantics reduction, and the eBPF program evaluated by a
 * small interpreter (written here, for the test) over synthetic device requests. The real
 * kernel runs it in test/integration/cgroups-v2.test.ts.
 */
import test from 'ava';
import type { LinuxDeviceCgroup } from '../../guest/api/oci-runtime-spec.js';
import { compileDeviceFilter, reduceDeviceRules } from '../../guest/runc/cgroups/v2/device-filter.js';

const BLOCK = 1;
const CHAR = 2;
const M = 1;
const R = 2;
const W = 4;

/** Evaluates the subset of eBPF the generator emits; returns r0 (1 = allow). */
function run(program: Buffer, type: number, access: number, major: number, minor: number): number {
  const ctx = [((access << 16) | type) >>> 0, major, minor];
  const r = new Array<bigint>(11).fill(0n);
  const mask = (1n << 64n) - 1n;
  for (let pc = 0; pc < program.length / 8; pc++) {
    const code = program.readUInt8(pc * 8);
    const regs = program.readUInt8(pc * 8 + 1);
    const dst = regs & 0xf;
    const src = regs >> 4;
    const off = program.readInt16LE(pc * 8 + 2);
    const imm = BigInt(program.readInt32LE(pc * 8 + 4)) & mask;
    const low = (v: bigint) => v & 0xffffffffn;
    switch (code) {
      case 0x61: if (src !== 1) throw new Error('load from non-ctx'); r[dst] = BigInt(ctx[off / 4]!); break;
      case 0xbf: r[dst] = r[src]!; break;
      case 0xb7: r[dst] = imm; break;
      case 0x57: r[dst] = r[dst]! & imm; break;
      case 0x77: r[dst] = r[dst]! >> imm; break;
      case 0x56: if (low(r[dst]!) !== low(imm)) pc += off; break;
      case 0x16: if (low(r[dst]!) === low(imm)) pc += off; break;
      case 0x95: return Number(r[0]);
      default: throw new Error(`opcode 0x${code.toString(16)}`);
    }
  }
  throw new Error('fell off the program');
}

const DOCKER_LIKE: LinuxDeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rw' },
  { allow: true, type: 'b', access: 'm' },
  { allow: false, type: 'c', major: 1, minor: 5, access: 'w' },
];

test('reduction follows the v1 devices controller', (t) => {
  t.deepEqual(reduceDeviceRules(DOCKER_LIKE), {
    defaultAllow: false,
    exceptions: [
      { type: 'c', major: 1, minor: 3, access: R | W | M },
      { type: 'c', major: 1, minor: 5, access: R | M },
      { type: 'c', major: 136, access: R | W | M },
      { type: 'c', major: 5, minor: 1, access: R | W },
      { type: 'b', access: M },
    ],
  });
  t.deepEqual(reduceDeviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'r' }, { allow: true, access: 'rwm' }]),
    { defaultAllow: true, exceptions: [] }, 'an "a" rule resets');
  t.deepEqual(reduceDeviceRules([{ allow: false, type: 'c', major: 10, minor: 200, access: 'rw' }]),
    { defaultAllow: true, exceptions: [{ type: 'c', major: 10, minor: 200, access: R | W }] }, 'no leading "a": allow-all with a denied device');
  t.throws(() => reduceDeviceRules([{ allow: true, type: 'x' as 'c', access: 'r' }]), { message: /devices\[0\]\.type/ });
  t.throws(() => reduceDeviceRules([{ allow: true, type: 'c', access: 'q' }]), { message: /devices\[0\]\.access/ });
});

test('whitelist program: allowed only when one exception covers every requested bit', (t) => {
  const p = compileDeviceFilter(DOCKER_LIKE);
  t.is(run(p, CHAR, R | W, 1, 3), 1, '/dev/null rw');
  t.is(run(p, CHAR, R, 1, 5), 1, '/dev/zero r');
  t.is(run(p, CHAR, W, 1, 5), 0, '/dev/zero w was removed');
  t.is(run(p, CHAR, R | W, 1, 5), 0);
  t.is(run(p, CHAR, R | W, 136, 7), 1, 'pts wildcard minor');
  t.is(run(p, CHAR, M, 5, 1), 0, 'console: no mknod');
  t.is(run(p, BLOCK, M, 8, 0), 1, 'mknod of any block device');
  t.is(run(p, BLOCK, R, 8, 0), 0);
  t.is(run(p, CHAR, R, 1, 8), 0, '/dev/random not listed');
  t.is(run(p, CHAR, R, 0x80000001, 3), 0, 'large majors compare as unsigned 32-bit');
});

test('blacklist program: denied when an exception shares any requested bit', (t) => {
  const p = compileDeviceFilter([{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 10, minor: 200, access: 'w' }]);
  t.is(run(p, CHAR, R, 10, 200), 1);
  t.is(run(p, CHAR, R | W, 10, 200), 0);
  t.is(run(p, CHAR, W, 10, 201), 1);
  t.is(run(p, BLOCK, W, 10, 200), 1);
  t.is(run(compileDeviceFilter([{ allow: false, access: 'rwm' }]), CHAR, R, 1, 3), 0, 'deny all');
});
