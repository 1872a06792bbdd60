/**
 * containerd benchmark, side by side in one run: Debian's containerd 1.6 and tsd-containerd, each
 * on fresh dirs, with the fixture registry on 127.0.0.1:
 *   - cold pull of nginx (`ctr image pull --plain-http`, empty content store), RUNS times;
 *   - RSS (and PSS) of the idle daemon, before and after the pull;
 *   - memory per running container: 20 `sleep` tasks, the daemon and every shim of its address
 *     summed, minus the idle daemon after the pull, divided by 20;
 *   - the idle daemon's anonymous and file-backed memory, and on the guest's Node (from the tsd
 *     cache) an estimate of its PSS in the guest, where five Node processes (init, sshd,
 *     containerd, dockerd, the shim) share the Node binary's pages.
 * Prints a markdown section; `--write` appends it to docs/benchmarks.md.
 *
 *   npx tsx bench/containerd.ts [--runs N] [--tasks N] [--write]     (after `npm run build`, as root)
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { startFixtureRegistry } from '../test/fixtures/fixture-images.js';
import { ContainerdDaemon } from '../test/helpers/containerd-daemon.js';
import { DebianContainerd } from '../test/helpers/debian-containerd.js';
import { chooseNode } from '../guest/engine/guest-node.js';

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
};
const RUNS = arg('--runs', 3);
const TASKS = arg('--tasks', 20);

interface Daemon {
  readonly address: string;
  readonly pid: number | undefined;
  ctrOk(args: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

interface Engine {
  name: string;
  start(): Promise<Daemon>;
  runArgs: string[];
}

const ENGINES: Engine[] = [
  { name: 'containerd 1.6 + containerd-shim-runc-v2 + runc', start: () => DebianContainerd.start(), runArgs: ['--runtime', 'io.containerd.runc.v2'] },
  { name: 'tsd-containerd + containerd-shim-runc-v2 + runc', start: () => ContainerdDaemon.start(), runArgs: ['--runtime', 'io.containerd.runc.v2'] },
  { name: 'tsd-containerd + containerd-shim-tsd-v2 + tsd-runc', start: () => ContainerdDaemon.start(), runArgs: ['--runtime', 'io.containerd.tsd.v2'] },
];

interface Memory {
  rss: number;
  pss: number;
}

/** VmRSS and Pss of one process, in KiB. */
function memoryOf(pid: number): Memory {
  const { rss, pss } = breakdownOf(pid);
  return { rss, pss };
}

/** The same, with the anonymous and file-backed parts of the RSS (smaps_rollup), in KiB. */
function breakdownOf(pid: number): Memory & { anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = (text: string, key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  const anon = kib(rollup, 'Anonymous');
  return { rss: kib(status, 'VmRSS'), pss: kib(rollup, 'Pss'), anon, file: kib(rollup, 'Rss') - anon };
}

/** Node processes in the guest that map the one Node binary: init, sshd, containerd, dockerd, the shim. */
const GUEST_NODE_PROCESSES = 5;

interface IdleBreakdown {
  daemon: string;
  node: string;
  memory: Memory & { anon: number; file: number };
}

/** One idle daemon, started, settled, measured and stopped. */
async function idleBreakdown(daemon: string, node: string, start: () => Promise<Daemon>): Promise<IdleBreakdown> {
  const running = await start();
  try {
    await settle();
    return { daemon, node, memory: breakdownOf(running.pid as number) };
  } finally {
    await running.stop();
  }
}

/** The shims of a daemon: processes started with `-address <its socket>`. */
function shimPids(address: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      const at = argv.indexOf('-address');
      if (at !== -1 && argv[at + 1] === address) pids.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const sum = (list: Memory[]): Memory => list.reduce((a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss }), { rss: 0, pss: 0 });
const mib = (kib: number): string => (kib / 1024).toFixed(1);
const SETTLE_MS = 2000;
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

interface Result {
  engine: string;
  pulls: number[];
  /** The daemon's CPU seconds per pull: load on the machine changes wall time far more than this. */
  pullCpu: number[];
  idle: Memory;
  afterPull: Memory;
  /** Per running container: the daemon's growth, and its shims. */
  daemonPerTask: Memory;
  shimsPerTask: Memory;
}

/** One cold pull on a fresh daemon; the caller keeps the daemon or stops it. */
async function coldPull(engine: Engine, ref: string): Promise<{ daemon: Daemon; ms: number; cpu: number; idle: Memory }> {
  const daemon = await engine.start();
  await settle();
  const pid = daemon.pid as number;
  const idle = memoryOf(pid);
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  await daemon.ctrOk(['images', 'pull', '--plain-http', ref]);
  return { daemon, ms: performance.now() - started, cpu: cpuSeconds(pid) - cpuBefore, idle };
}

/** Memory with TASKS sleep tasks running, on the daemon of the last pull. */
async function perTask(engine: Engine, daemon: Daemon, ref: string): Promise<Pick<Result, 'afterPull' | 'daemonPerTask' | 'shimsPerTask'>> {
  await settle();
  const afterPull = memoryOf(daemon.pid as number);
  for (let i = 0; i < TASKS; i++) await daemon.ctrOk(['run', ...engine.runArgs, '-d', ref, `bench-${process.pid}-${i}`, 'sleep', '100000']);
  await settle();
  const running = memoryOf(daemon.pid as number);
  const shims = sum(shimPids(daemon.address).map(memoryOf));
  return {
    afterPull,
    daemonPerTask: { rss: (running.rss - afterPull.rss) / TASKS, pss: (running.pss - afterPull.pss) / TASKS },
    shimsPerTask: { rss: shims.rss / TASKS, pss: shims.pss / TASKS },
  };
}

const registry = await startFixtureRegistry({});
const ref = `${registry.host}/library/nginx:latest`;
const results: Result[] = ENGINES.map((engine) => ({ engine: engine.name, pulls: [], pullCpu: [], idle: { rss: 0, pss: 0 }, afterPull: { rss: 0, pss: 0 }, daemonPerTask: { rss: 0, pss: 0 }, shimsPerTask: { rss: 0, pss: 0 } }));
try {
  // Pulls interleaved (engine A, B, C, A, B, C, ...) so that a busy moment of the machine does not land on one engine only.
  for (let run = 0; run < RUNS; run++) {
    for (const [index, engine] of ENGINES.entries()) {
      process.stderr.write(`run ${run + 1}/${RUNS}: ${engine.name}\n`);
      const result = results[index] as Result;
      const { daemon, ms, cpu, idle } = await coldPull(engine, ref);
      try {
        result.pulls.push(ms);
        result.pullCpu.push(cpu);
        result.idle = idle;
        if (run === RUNS - 1) Object.assign(result, await perTask(engine, daemon, ref));
      } finally {
        await daemon.stop();
      }
    }
  }
} finally {
  await registry.stop();
}

// Idle daemons again, for where their memory is: Debian's, ours on this Node, ours on the guest's Node.
const idle: IdleBreakdown[] = [
  await idleBreakdown('containerd 1.6', 'Go', () => DebianContainerd.start()),
  await idleBreakdown('tsd-containerd', `${nodeVersion(process.env['TSD_CONTAINERD_NODE'] ?? 'node')}, as in the table`, () => ContainerdDaemon.start()),
];
const guestNode = chooseNode(undefined);
if (guestNode.source === 'guest-cache') {
  const before = process.env['TSD_CONTAINERD_NODE'];
  process.env['TSD_CONTAINERD_NODE'] = guestNode.path;
  try {
    idle.push(await idleBreakdown('tsd-containerd', `${nodeVersion(guestNode.path)}, the guest's`, () => ContainerdDaemon.start()));
  } finally {
    if (before === undefined) delete process.env['TSD_CONTAINERD_NODE'];
    else process.env['TSD_CONTAINERD_NODE'] = before;
  }
}

function nodeVersion(node: string): string {
  return `Node ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^v/, '')}`;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const base = results[0] as Result;
const rows = results.map((r) => {
  const pull = median(r.pulls);
  const total = { rss: r.daemonPerTask.rss + r.shimsPerTask.rss, pss: r.daemonPerTask.pss + r.shimsPerTask.pss };
  const cpu = median(r.pullCpu);
  return `| ${r.engine} | ${(pull / 1000).toFixed(2)} (${(pull / median(base.pulls)).toFixed(2)}×) | ${cpu.toFixed(2)} (${(cpu / median(base.pullCpu)).toFixed(2)}×) | ${mib(r.idle.rss)} / ${mib(r.idle.pss)} | ${mib(r.afterPull.rss)} / ${mib(r.afterPull.pss)} | ${mib(r.daemonPerTask.rss)} / ${mib(r.daemonPerTask.pss)} | ${mib(r.shimsPerTask.rss)} / ${mib(r.shimsPerTask.pss)} | ${mib(total.rss)} / ${mib(total.pss)} |`;
});
const section = [
  '',
  '## containerd: tsd-containerd beside Debian\'s containerd 1.6',
  '',
  `\`npx tsx bench/containerd.ts\` (as root, after \`npm run build\`): fresh dirs per run, nginx fixture (Debian minbase + nginx) from`,
  `the local registry, median of ${RUNS} cold pulls (engines interleaved), memory in MiB as RSS / PSS (PSS splits shared pages`,
  `between the processes sharing them; RSS counts a Go binary's or Node's text once per process). Per container, with ${TASKS}`,
  '`sleep` tasks running: the daemon\'s growth over its after-pull size, and its shims (every process started with',
  '`-address <its socket>`), each divided by the task count. Machine: 2 CPUs shared with other jobs.',
  '',
  '| engine | cold pull nginx [s] | daemon CPU in the pull [s] | idle daemon | daemon after pull | daemon per container | shim per container | engine per container |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
  '',
  `Idle daemon, where its memory is (MiB; started fresh, measured after ${SETTLE_MS / 1000} s). A Node daemon's file-backed pages`,
  `are mostly the Node binary's text, which every Node process maps: in the guest ${GUEST_NODE_PROCESSES} Node processes (init, sshd,`,
  'containerd, dockerd, the shim) share them, so its PSS there is about anonymous + file-backed / ' + `${GUEST_NODE_PROCESSES} (an estimate: not every`,
  'process touches the same pages).',
  '',
  `| daemon | runtime | RSS | anonymous | file-backed | PSS here | PSS in the guest, est. |`,
  '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ...idle.map(({ daemon, node, memory: m }) =>
    `| ${daemon} | ${node} | ${mib(m.rss)} | ${mib(m.anon)} | ${mib(m.file)} | ${mib(m.pss)} | ${node === 'Go' ? '—' : mib(m.anon + m.file / GUEST_NODE_PROCESSES)} |`),
  '',
].join('\n');
process.stdout.write(section);
if (process.argv.includes('--write')) appendFileSync(new URL('../docs/benchmarks.md', import.meta.url), section);
