/**
 * What /proc says about processes, for the benchmarks: memory (RSS, PSS and the anonymous part,
 * from smaps_rollup), CPU time, and the engine-side process tree of a daemon (its descendants and
 * its shims, without the containers' own processes).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** KiB. */
export interface Memory {
  rss: number;
  pss: number;
  /** Anonymous RSS (heaps, stacks); the rest of RSS is file-backed (program text, libraries). */
  anon: number;
}

export const NO_MEMORY: Memory = { rss: 0, pss: 0, anon: 0 };

/** Memory of one process in KiB (zero if it has gone). */
export function memoryOf(pid: number): Memory {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
    return { rss: kib('Rss'), pss: kib('Pss'), anon: kib('Anonymous') };
  } catch {
    return NO_MEMORY;
  }
}

export const sumMemory = (list: Memory[]): Memory =>
  list.reduce((a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss, anon: a.anon + b.anon }), NO_MEMORY);

export const minusMemory = (a: Memory, b: Memory): Memory => ({ rss: a.rss - b.rss, pss: a.pss - b.pss, anon: a.anon - b.anon });

export const scaleMemory = (a: Memory, by: number): Memory => ({ rss: a.rss * by, pss: a.pss * by, anon: a.anon * by });

/** CPU seconds (user + system) a process has used; 0 if it has gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks of 1/100 s
  } catch {
    return 0;
  }
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
  argv: string[];
  /** The pid namespace link, e.g. "pid:[4026531836]". */
  pidns: string;
}

/** Every process now (those that end while we look are skipped). */
export function processTable(): ProcessInfo[] {
  const table: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      table.push({
        pid: Number(name),
        ppid: Number(stat.slice(close + 2).split(' ')[1]),
        comm: stat.slice(stat.indexOf('(') + 1, close),
        argv: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean),
        pidns: readlinkSync(`/proc/${name}/ns/pid`),
      });
    } catch {
      // it ended while we looked
    }
  }
  return table;
}

/** Processes started as shims of the containerd on `address` (`-address <address>` in argv). */
export function shimsOf(table: ProcessInfo[], address: string): ProcessInfo[] {
  return table.filter((p) => {
    const at = p.argv.indexOf('-address');
    return at !== -1 && p.argv[at + 1] === address;
  });
}

/**
 * The engine side of an engine: `roots` (its daemons), the shims of its containerd, and all their
 * descendants that live in the host's pid namespace. Containers run in their own pid namespaces,
 * so their processes (and `runc init`) are left out, whatever engine started them.
 */
export function engineProcesses(roots: number[], containerdAddress: string, table = processTable()): ProcessInfo[] {
  const hostPidns = readlinkSync('/proc/self/ns/pid');
  const byPid = new Map(table.map((p) => [p.pid, p]));
  const wanted = new Set<number>([...roots, ...shimsOf(table, containerdAddress).map((p) => p.pid)]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of table) {
      if (!wanted.has(p.pid) && wanted.has(p.ppid)) {
        wanted.add(p.pid);
        grew = true;
      }
    }
  }
  return [...wanted].map((pid) => byPid.get(pid)).filter((p): p is ProcessInfo => p !== undefined && p.pidns === hostPidns);
}

/** A short label for a process: its program's base name (Node programs by their script). */
export function labelOf(p: ProcessInfo): string {
  const script = p.argv.find((arg) => /\.(mjs|js|ts)$/.test(arg));
  const base = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
  return script ? base(script) : base(p.argv[0] ?? p.comm);
}

/**
 * KiB the processes occupy together, as if nothing else ran: their anonymous pages, plus each
 * mapped file's resident pages once (the largest any of them maps). Unlike PSS it does not get
 * smaller because unrelated processes on the machine map the same Node or Go binary; unlike summed
 * RSS it counts the text shared by several of them (two Node daemons, twenty Go shims) once — what
 * the set costs alone, as in the VM.
 */
export function footprint(pids: number[]): number {
  let anonymous = 0;
  const files = new Map<string, number>();
  for (const pid of pids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
    } catch {
      continue; // it ended
    }
    const perFile = new Map<string, number>();
    let key = '';
    let rss = 0;
    const flush = (): void => {
      if (key) perFile.set(key, (perFile.get(key) ?? 0) + rss);
    };
    let index = 0;
    for (const line of text.split('\n')) {
      const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (header) {
        flush();
        const path = header[1] ?? '';
        key = path.startsWith('/') ? path : `${pid}:${index++}`; // non-file mappings are the process's own
        rss = 0;
      } else if (line.startsWith('Rss:')) rss += Number(line.split(/\s+/)[1]);
      else if (line.startsWith('Anonymous:')) {
        const kib = Number(line.split(/\s+/)[1]);
        anonymous += kib;
        rss -= kib; // copied-on-write pages of a file mapping are this process's own
      }
    }
    flush();
    for (const [file, kib] of perFile) files.set(file, Math.max(files.get(file) ?? 0, kib));
  }
  return anonymous + [...files.values()].reduce((a, b) => a + b, 0);
}
