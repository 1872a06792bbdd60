/**
 * The engine benchmark's markdown: a summary table against the issue's targets (ours / Debian's:
 * latency and memory ≤ 1.0×, throughputs ≥ 1.0×), then the details each analysis needs.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import type { EngineResults } from '../engine-host.js';
import type { MemoryBreakdown } from './engine-memory.js';
import { programChain } from './exec-timeline.js';
import { median, mib, ratio, spread } from './stats.js';

export interface ReportContext {
  runs: number;
  cleanup: string[];
  /** Measurements that failed, with their error. */
  failures: string[];
}

const version = (command: string, args: string[]): string => {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    return `${command}: unknown`;
  }
};

/** A row of the summary; `lowerIsBetter` decides the target's direction. */
function summaryRow(what: string, ours: number | undefined, theirs: number | undefined, shown: [string, string], lowerIsBetter: boolean): string {
  if (ours === undefined || theirs === undefined) return `| ${what} | ${ours === undefined ? '—' : shown[0]} | ${theirs === undefined ? '—' : shown[1]} | — | — | not measured (see below) |`;
  const met = lowerIsBetter ? ours <= theirs : ours >= theirs;
  return `| ${what} | ${shown[0]} | ${shown[1]} | ${ratio(ours, theirs)} | ${lowerIsBetter ? '≤' : '≥'} 1.0× | ${met ? 'met' : '**missed**'} |`;
}

/** Memory summed per process label, e.g. "containerd-shim-runc-v2 ×20". */
function byLabel(breakdown: MemoryBreakdown): string {
  const groups = new Map<string, { count: number; rss: number; pss: number; anon: number }>();
  for (const p of breakdown.processes) {
    const group = groups.get(p.label) ?? { count: 0, rss: 0, pss: 0, anon: 0 };
    groups.set(p.label, { count: group.count + 1, rss: group.rss + p.memory.rss, pss: group.pss + p.memory.pss, anon: group.anon + p.memory.anon });
  }
  return [...groups].map(([label, g]) => `${label}${g.count > 1 ? ` ×${g.count}` : ''} ${mib(g.rss)} / ${mib(g.pss)} / ${mib(g.anon)}`).join('; ');
}

export function renderEngineReport(results: EngineResults[], context: ReportContext): string {
  const [ours, theirs] = results as [EngineResults, EngineResults];
  const latency = (r: EngineResults) => (r.latency ? median(r.latency.ms) : undefined);
  const createRate = (r: EngineResults) => (r.createRemove ? median(r.createRemove.perSecond) : undefined);
  const logsRate = (r: EngineResults, size = 0) => {
    const logs = r.logs?.[size];
    return logs && !logs.error ? logs.bytes / 1048576 / (median(logs.readMs) / 1000) : undefined;
  };
  const portRate = (r: EngineResults) => (r.port ? median(r.port.mibPerSecond) : undefined);
  const lines: string[] = [
    "## Engine (host mode): tsd beside Debian's docker.io",
    '',
    '`npx tsx bench/engine-host.ts` (as root, after `npm run build`): both engines running at once, driven by the real',
    `docker CLI (${version('/usr/local/bin/docker', ['--version'])}), images from the fixture registry on 127.0.0.1 as their docker.io mirror;`,
    "measurements interleave the engines (A B, then B A) so a busy moment of the shared machine lands on both. Debian's",
    `engine runs with its defaults (${version('dockerd', ['--version'])}; its own containerd 1.6 and runc 1.1; iptables and the`,
    'userland proxy on) except for its own socket, dirs and bridge; ours is `npm run engine` (tsd-containerd, the TypeScript',
    'dockerd, the grouped Node shim, tsd-runc). Memory in MiB as RSS / PSS / anonymous, engine-side processes only: the',
    "daemons, their shims and helpers (docker-proxy), never the containers' own processes (those live in other pid",
    'namespaces). Our host-mode launcher (a supervisor the VM replaces with init) is left out and listed apart. PSS',
    "shares a binary's pages with every process on the machine mapping it (other engineers' Node and Go processes too),",
    'so it flatters whichever engine uses the more common binary; "alone" counts the set’s anonymous pages plus each',
    'mapped file once (two Node daemons share one Node text; twenty runc shims one Go text): the cost on a machine of its own.',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, 2 shared CPUs, load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}.`,
    '',
    '| measurement | tsd | Debian docker.io | tsd / Debian | target | |',
    '|:---|---:|---:|---:|:---:|:---|',
    summaryRow(`\`docker run --rm busybox true\`, ms, median (p25–p75) of ${context.runs}`, latency(ours), latency(theirs),
      [spread(ours.latency?.ms ?? []), spread(theirs.latency?.ms ?? [])], true),
    summaryRow('create + rm, containers/s (20 `docker create` then 20 `docker rm`, median of rounds)', createRate(ours), createRate(theirs),
      [createRate(ours)?.toFixed(1) ?? '', createRate(theirs)?.toFixed(1) ?? ''], false),
    summaryRow('idle engine RSS, MiB (after start, before any pull)', ours.idle?.fresh.total.rss, theirs.idle?.fresh.total.rss,
      [mib(ours.idle?.fresh.total.rss ?? 0), mib(theirs.idle?.fresh.total.rss ?? 0)], true),
    summaryRow('idle engine PSS, MiB', ours.idle?.fresh.total.pss, theirs.idle?.fresh.total.pss,
      [mib(ours.idle?.fresh.total.pss ?? 0), mib(theirs.idle?.fresh.total.pss ?? 0)], true),
    summaryRow('idle engine alone (anonymous + each mapped file once), MiB', ours.idle?.fresh.alone, theirs.idle?.fresh.alone,
      [mib(ours.idle?.fresh.alone ?? 0), mib(theirs.idle?.fresh.alone ?? 0)], true),
    summaryRow('RSS per running container, MiB (20 `sleep`s)', ours.perContainer?.perContainer.rss, theirs.perContainer?.perContainer.rss,
      [mib(ours.perContainer?.perContainer.rss ?? 0), mib(theirs.perContainer?.perContainer.rss ?? 0)], true),
    summaryRow('PSS per running container, MiB', ours.perContainer?.perContainer.pss, theirs.perContainer?.perContainer.pss,
      [mib(ours.perContainer?.perContainer.pss ?? 0), mib(theirs.perContainer?.perContainer.pss ?? 0)], true),
    summaryRow('alone per running container, MiB', ours.perContainer?.perContainerAlone, theirs.perContainer?.perContainerAlone,
      [mib(ours.perContainer?.perContainerAlone ?? 0), mib(theirs.perContainer?.perContainerAlone ?? 0)], true),
    summaryRow('`docker logs` of 100 MiB written to stdout, MiB/s', logsRate(ours), logsRate(theirs),
      [logsRate(ours)?.toFixed(1) ?? '', logsRate(theirs)?.toFixed(1) ?? ''], false),
    summaryRow('`docker logs` of 10 MiB written to stdout, MiB/s', logsRate(ours, 1), logsRate(theirs, 1),
      [logsRate(ours, 1)?.toFixed(1) ?? '', logsRate(theirs, 1)?.toFixed(1) ?? ''], false),
    summaryRow('download of 100 MiB through `-p 127.0.0.1:H:80` (nginx), MiB/s', portRate(ours), portRate(theirs),
      [portRate(ours)?.toFixed(0) ?? '', portRate(theirs)?.toFixed(0) ?? ''], false),
    '',
  ];

  if (ours.phases && theirs.phases) {
    const cell = (values: number[]) => spread(values, 0, 'minmax');
    lines.push(
      `One run over the Engine API (raw requests on the socket, ms, median (min–max) of ${ours.phases.create.length}): where a run's time goes.`,
      '',
      '| engine | create | start | start answered → exit reported | delete |',
      '|:---|---:|---:|---:|---:|',
      ...[ours, theirs].map((r) => `| ${r.engine} | ${cell(r.phases!.create)} | ${cell(r.phases!.start)} | ${cell(r.phases!.exit)} | ${cell(r.phases!.remove)} |`),
      '',
    );
  }
  if (ours.latency && theirs.latency) {
    lines.push(
      'CPU seconds per `docker run --rm` of the engine processes alive through the whole series (per-container shims of',
      "Debian's engine come and go, so theirs is not counted; ours is one shim per namespace and is):",
      '',
      ...[ours, theirs].map((r) => `- ${r.engine}: ${r.latency!.cpuPerRun.map((c) => `${c.label} ${c.seconds.toFixed(3)}`).join(', ')}`),
      '',
    );
  }
  if (ours.idle && theirs.idle) {
    lines.push('Idle memory by process (RSS / PSS / anonymous, MiB):', '');
    for (const r of [ours, theirs]) {
      lines.push(`- ${r.engine}, fresh: ${byLabel(r.idle!.fresh)}`);
      if (r.idle!.afterPull) lines.push(`- ${r.engine}, after pulling busybox and nginx: ${byLabel(r.idle!.afterPull)} (total ${mib(r.idle!.afterPull.total.rss)} / ${mib(r.idle!.afterPull.total.pss)}, alone ${mib(r.idle!.afterPull.alone)})`);
      if (r.idle!.launcher) lines.push(`- ${r.engine}, host-mode launcher (not counted): ${mib(r.idle!.launcher.rss)} / ${mib(r.idle!.launcher.pss)} / ${mib(r.idle!.launcher.anon)}`);
    }
    lines.push('');
  }
  if (ours.perContainer && theirs.perContainer) {
    lines.push(`With ${ours.perContainer.containers} running containers, engine-side processes (RSS / PSS / anonymous, MiB); per container is`, '(this − the daemons before the containers) / containers, so shims count whether or not one was already running:', '');
    for (const r of [ours, theirs]) lines.push(`- ${r.engine}: ${byLabel(r.perContainer!.after)} (total RSS ${mib(r.perContainer!.after.total.rss)}, daemons before ${mib(r.perContainer!.before.total.rss)}; alone ${mib(r.perContainer!.after.alone)}, daemons before ${mib(r.perContainer!.before.alone)})`);
    lines.push('');
  }
  if (ours.logs && theirs.logs) {
    lines.push(
      'Logs: 80-byte lines (`yes | head -c`), json-file on both; "taken in" is `docker run -d` until `docker wait` answers.',
      '',
      '| engine | size | taken in, s (MiB/s) | `docker logs > /dev/null`, s per read |',
      '|:---|---:|---:|---:|',
    );
    for (const r of [ours, theirs]) {
      for (const logs of r.logs!) {
        const mibs = logs.bytes / 1048576;
        const reads = logs.error ? `failed: ${logs.error}` : logs.readMs.map((ms) => (ms / 1000).toFixed(2)).join(', ');
        lines.push(`| ${r.engine} | ${mibs} MiB | ${(logs.writeMs / 1000).toFixed(1)} (${(mibs / (logs.writeMs / 1000)).toFixed(1)}) | ${reads} |`);
      }
    }
    lines.push('');
  }
  if (ours.port && theirs.port) {
    lines.push('Published port, MiB/s per download (curl to /dev/null):', '');
    for (const r of [ours, theirs]) lines.push(`- ${r.engine}: ${r.port!.mibPerSecond.map((v) => v.toFixed(0)).join(', ')} — ${r.port!.path}`);
    lines.push('');
  }
  if (ours.timeline || theirs.timeline) {
    lines.push(
      'Programs each engine ran for one `docker run --rm busybox true` (perf sched tracepoints, system-wide, no ptrace:',
      'the processes its daemons and shims forked; ms from the CLI\'s start; "…" outlived the trace):',
      '',
    );
    for (const r of [ours, theirs]) {
      if (!r.timeline) continue;
      lines.push(`${r.engine}, CLI ${r.timeline.total.toFixed(0)} ms:`, '', '| program | from | to | ms |', '|:---|---:|---:|---:|');
      for (const entry of r.timeline.entries) {
        const end = entry.end === undefined ? '…' : entry.end.toFixed(0);
        lines.push(`| ${programChain(entry)} | ${entry.start.toFixed(0)} | ${end} | ${entry.end === undefined ? '' : (entry.end - entry.start).toFixed(0)} |`);
      }
      lines.push('');
    }
  }
  if (context.failures.length > 0) lines.push('Failed in this run:', '', ...context.failures.map((failure) => `- ${failure}`), '');
  lines.push(
    context.cleanup.length === 0
      ? 'Cleanup after the run: the engines left nothing behind (no mounts, bridges, nftables tables, iptables chains or rules).'
      : 'Cleanup after the run: what the engines left behind once stopped, removed by the benchmark:',
    ...context.cleanup.map((note) => `- ${note}`),
    '',
    '<!-- engine-host:analysis -->',
  );
  return lines.join('\n');
}
