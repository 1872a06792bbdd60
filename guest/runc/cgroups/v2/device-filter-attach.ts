/**
 * Loads a device-filter eBPF program and attaches it to a cgroup v2 directory with the bpf(2)
 * syscall, through koffi (Node has no bpf()). Replacing is attach-new-then-detach-old, so the
 * cgroup is never without a filter during `update`. Loaded lazily: only v2 `set` with device
 * rules pays for koffi.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { TsdError } from '../../../api/errors.js';

type Koffi = typeof import('koffi');

const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_DETACH = 9;
const BPF_PROG_QUERY = 16;
const BPF_PROG_GET_FD_BY_ID = 13;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
const BPF_F_ALLOW_MULTI = 2;
const SYS_BPF: Partial<Record<NodeJS.Architecture, number>> = { x64: 321, arm64: 280 };

interface Bpf {
  koffi: Koffi;
  call: (cmd: number, attr: Buffer) => number;
}

let loading: Promise<Bpf> | undefined;

async function bpf(): Promise<Bpf> {
  loading ??= import('koffi').then((module) => {
    const koffi = ((module as unknown as { default?: Koffi }).default ?? module) as Koffi;
    const nr = SYS_BPF[process.arch];
    if (nr === undefined) throw new TsdError('unsupported', `cgroup: no bpf syscall number for ${process.arch}`);
    const syscall = koffi.load('libc.so.6').func('long syscall(long nr, ...)');
    const call = (cmd: number, attr: Buffer) => Number(syscall(nr, 'int', cmd, 'void *', attr, 'uint', attr.length));
    return { koffi, call };
  });
  return await loading;
}

function failed(b: Bpf, what: string, dir: string, log?: Buffer): TsdError {
  const errno = b.koffi.errno();
  const verifier = log ? log.toString('utf8').replace(/\0.*$/s, '').trim() : '';
  return new TsdError('internal', `cgroup: ${what} for ${dir} failed: errno ${errno}${verifier ? `\n${verifier}` : ''}`);
}

/** Loads `program` (encoded eBPF) and makes it the only device filter attached to `dir`. */
export async function attachDeviceFilter(dir: string, program: Buffer): Promise<void> {
  const b = await bpf();
  // Buffer.alloc is never a slice of the shared pool, so koffi.address is its own start.
  const license = Buffer.alloc(8);
  license.write('Apache');
  const log = Buffer.alloc(16384);
  // union bpf_attr for BPF_PROG_LOAD, up to expected_attach_type (72 bytes).
  const load = Buffer.alloc(72);
  load.writeUInt32LE(BPF_PROG_TYPE_CGROUP_DEVICE, 0);
  load.writeUInt32LE(program.length / 8, 4);
  load.writeBigUInt64LE(b.koffi.address(program), 8);
  load.writeBigUInt64LE(b.koffi.address(license), 16);
  load.writeUInt32LE(1, 24); // log_level: verifier messages on failure
  load.writeUInt32LE(log.length, 28);
  load.writeBigUInt64LE(b.koffi.address(log), 32);
  load.write('tsd_devices', 48, 'latin1'); // prog_name (16 bytes)
  load.writeUInt32LE(BPF_CGROUP_DEVICE, 68);
  const prog = b.call(BPF_PROG_LOAD, load);
  if (prog < 0) throw failed(b, 'loading the device filter (BPF_PROG_LOAD)', dir, log);

  const cgroup = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const old = queryAttached(b, cgroup, dir);
    const attach = Buffer.alloc(20);
    attach.writeUInt32LE(cgroup, 0);
    attach.writeUInt32LE(prog, 4);
    attach.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
    attach.writeUInt32LE(BPF_F_ALLOW_MULTI, 12);
    if (b.call(BPF_PROG_ATTACH, attach) < 0) throw failed(b, 'attaching the device filter (BPF_PROG_ATTACH)', dir);
    for (const id of old) detach(b, cgroup, id, dir);
  } finally {
    closeSync(cgroup);
    closeSync(prog);
  }
}

/** Ids of the device programs attached directly to this cgroup. */
function queryAttached(b: Bpf, cgroup: number, dir: string): number[] {
  const ids = Buffer.alloc(64 * 4);
  const query = Buffer.alloc(32);
  query.writeUInt32LE(cgroup, 0);
  query.writeUInt32LE(BPF_CGROUP_DEVICE, 4);
  query.writeBigUInt64LE(b.koffi.address(ids), 16);
  query.writeUInt32LE(64, 24);
  if (b.call(BPF_PROG_QUERY, query) < 0) throw failed(b, 'listing device filters (BPF_PROG_QUERY)', dir);
  const count = query.readUInt32LE(24);
  return Array.from({ length: count }, (_, i) => ids.readUInt32LE(i * 4));
}

function detach(b: Bpf, cgroup: number, id: number, dir: string): void {
  const byId = Buffer.alloc(12);
  byId.writeUInt32LE(id, 0);
  const fd = b.call(BPF_PROG_GET_FD_BY_ID, byId);
  if (fd < 0) throw failed(b, `opening old device filter ${id}`, dir);
  try {
    const attr = Buffer.alloc(20);
    attr.writeUInt32LE(cgroup, 0);
    attr.writeUInt32LE(fd, 4);
    attr.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
    if (b.call(BPF_PROG_DETACH, attr) < 0) throw failed(b, `detaching old device filter ${id}`, dir);
  } finally {
    closeSync(fd);
  }
}
