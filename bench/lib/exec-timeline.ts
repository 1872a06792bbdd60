/**
 * Which programs an engine runs for one docker command, and when: system-wide scheduler
 * tracepoints (`perf record -e sched:sched_process_{fork,exec,exit} -a`, no ptrace, so the engine
 * runs at full speed), kept to the processes the engine's daemons and shims fork during the
 * command. Times are ms from the CLI's exec. For the analysis of run latency, not a measurement.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_CLI } from '../../test/helpers/host-engine.js';
import type { BenchEngine } from './engines.js';
import { engineProcesses } from './proc.js';
import { settle } from './stats.js';

const PERF = '/usr/bin/perf';

export interface TimelineEntry {
  /** the programs the process executed, in order (a wrapper script, then node…) */
  programs: string[];
  pid: number;
  /** ms after the CLI started */
  start: number;
  /** ms after the CLI started; undefined if it outlived the trace (a shim server) */
  end?: number;
}

export interface Timeline {
  /** the CLI's own run, ms */
  total: number;
  entries: TimelineEntry[];
}

interface TraceEvent {
  time: number;
  /** the process (thread group) the event happened in: Go forks from any of its threads */
  tgid: number;
  event: 'fork' | 'exec' | 'exit';
  pid: number;
  child?: number;
  filename?: string;
}

function parse(script: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const line of script.split('\n')) {
    const match = /^\s*(\d+)\/\d+\s+(\d+\.\d+): sched:sched_process_(fork|exec|exit): (.*)$/.exec(line);
    if (!match) continue;
    const fields = Object.fromEntries([...match[4]!.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    const common = { time: Number(match[2]) * 1000, tgid: Number(match[1]), pid: Number(fields['pid']) };
    if (match[3] === 'fork') events.push({ ...common, event: 'fork', child: Number(fields['child_pid']) });
    else if (match[3] === 'exec') events.push({ ...common, event: 'exec', filename: fields['filename']! });
    else events.push({ ...common, event: 'exit' });
  }
  return events;
}

/**
 * Runs `docker ...args` against the engine under the tracepoints. On a loaded machine perf can
 * start late or lose events; a trace without the CLI's own exec and exit is taken again (3 tries).
 */
export async function execTimeline(engine: BenchEngine, args: string[]): Promise<Timeline> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await traceOnce(engine, args);
    } catch (error) {
      if (!(error instanceof MissedCli) || attempt === 3) throw error;
    }
  }
}

class MissedCli extends Error {}

async function traceOnce(engine: BenchEngine, args: string[]): Promise<Timeline> {
  const dir = mkdtempSync(join(tmpdir(), 'tsdbench-perf-'));
  const data = join(dir, 'perf.data');
  const roots = engineProcesses((await engine.daemons()).map((d) => d.pid), engine.containerdAddress).map((p) => p.pid);
  const perf = spawn(PERF, ['record', '-q', '-m', '1024', '-o', data, '-e', 'sched:sched_process_fork', '-e', 'sched:sched_process_exec', '-e', 'sched:sched_process_exit', '-a'], { stdio: 'ignore' });
  const perfDone = new Promise((resolve) => perf.once('close', resolve));
  try {
    await settle(3000); // perf has opened its events (slow to start under load)
    const cli = spawn(DOCKER_CLI, args, { env: { ...process.env, DOCKER_HOST: engine.host }, stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => cli.once('close', resolve));
    if (code !== 0) throw new Error(`${engine.name}: docker ${args.join(' ')} exited ${code} under perf`);
    await settle(300);
    perf.kill('SIGINT');
    await perfDone;
    const events = parse(execFileSync(PERF, ['script', '-i', data, '-F', 'pid,tid,time,event,trace'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] }));
    const t0 = events.find((e) => e.event === 'exec' && e.pid === cli.pid)?.time;
    const t1 = events.find((e) => e.event === 'exit' && e.pid === cli.pid)?.time;
    if (t0 === undefined || t1 === undefined) throw new MissedCli('perf saw no exec/exit of the docker CLI (3 tries)');
    const inTree = new Set(roots);
    const byPid = new Map<number, TimelineEntry>();
    for (const event of events) {
      if (event.event === 'fork' && (inTree.has(event.tgid) || inTree.has(event.pid))) inTree.add(event.child!);
      else if (event.event === 'exec' && inTree.has(event.pid) && !roots.includes(event.pid) && event.time >= t0) {
        const entry = byPid.get(event.pid) ?? { programs: [], pid: event.pid, start: event.time - t0 };
        // base names, but a re-exec through /proc (runc init, dockerd's hooks) keeps its path
        const file = event.filename!;
        entry.programs.push(file.startsWith('/proc/') ? file : file.slice(file.lastIndexOf('/') + 1));
        byPid.set(event.pid, entry);
      } else if (event.event === 'exit' && byPid.has(event.pid)) byPid.get(event.pid)!.end = event.time - t0;
    }
    return { total: t1 - t0, entries: [...byPid.values()].sort((a, b) => a.start - b.start) };
  } finally {
    if (perf.exitCode === null && perf.signalCode === null) {
      perf.kill('SIGINT');
      await perfDone;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "containerd-shim-tsd-v2 → node" with runs of the same name (PATH lookups) collapsed. */
export function programChain(entry: TimelineEntry): string {
  return entry.programs.filter((name, i) => name !== entry.programs[i - 1]).join(' → ');
}
