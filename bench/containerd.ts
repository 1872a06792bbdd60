/**
 * containerd benchmark, side by side in one run: Debian's containerd 1.6 and tsd-containerd, each
 * on fresh dirs, with the fixture registry on 127.0.0.1:
 *   - cold pull of nginx (`ctr image pull --plain-http`, empty content store), RUNS times;
 *   - RSS (and PSS) of the idle daemon, before and after the pull;
 *   - memory per running container: 20 `sleep` tasks, the daemon and every shim of its address
 *     summed, minus the idle daemon after the pull, divided by 20.
 * Prints a markdown section; `--write` appends it to docs/benchmarks.md.
 *
 *   npx tsx bench/containerd.ts [--runs N] [--tasks N] [--write]     (after `npm run build`, as root)
 */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { startFixtureRegistry } from '../test/fixtures/fixture-images.js';
import { ContainerdDaemon } from '../test/helpers/containerd-daemon.js';
import { DebianContainerd } from '../test/helpers/debian-containerd.js';

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
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = (text: string, key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rss: kib(status, 'VmRSS'), pss: kib(rollup, 'Pss') };
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

const sum = (list: Memory[]): Memory => list.reduce((a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss }), { rss: 0, pss: 0 });
const mib = (kib: number): string => (kib / 1024).toFixed(1);
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 2000));

interface Result {
  engine: string;
  pulls: number[];
  idle: Memory;
  afterPull: Memory;
  perTask: Memory;
}

async function measure(engine: Engine, ref: string): Promise<Result> {
  const pulls: number[] = [];
  let idle: Memory = { rss: 0, pss: 0 };
  let afterPull: Memory = { rss: 0, pss: 0 };
  let perTask: Memory = { rss: 0, pss: 0 };
  for (let run = 0; run < RUNS; run++) {
    const daemon = await engine.start();
    try {
      await settle();
      idle = memoryOf(daemon.pid as number);
      const started = performance.now();
      await daemon.ctrOk(['images', 'pull', '--plain-http', ref]);
      pulls.push(performance.now() - started);
      if (run < RUNS - 1) continue;
      await settle();
      afterPull = memoryOf(daemon.pid as number);
      for (let i = 0; i < TASKS; i++) await daemon.ctrOk(['run', ...engine.runArgs, '-d', ref, `bench-${process.pid}-${i}`, 'sleep', '100000']);
      await settle();
      const engineSide = sum([memoryOf(daemon.pid as number), ...shimPids(daemon.address).map(memoryOf)]);
      perTask = { rss: (engineSide.rss - afterPull.rss) / TASKS, pss: (engineSide.pss - afterPull.pss) / TASKS };
    } finally {
      await daemon.stop();
    }
  }
  return { engine: engine.name, pulls, idle, afterPull, perTask };
}

const registry = await startFixtureRegistry({});
const ref = `${registry.host}/library/nginx:latest`;
const results: Result[] = [];
try {
  for (const engine of ENGINES) {
    process.stderr.write(`measuring ${engine.name}\n`);
    results.push(await measure(engine, ref));
  }
} finally {
  await registry.stop();
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const base = results[0] as Result;
const rows = results.map((r) => {
  const pull = median(r.pulls);
  return `| ${r.engine} | ${(pull / 1000).toFixed(2)} (${(pull / median(base.pulls)).toFixed(2)}×) | ${mib(r.idle.rss)} / ${mib(r.idle.pss)} | ${mib(r.afterPull.rss)} / ${mib(r.afterPull.pss)} | ${mib(r.perTask.rss)} / ${mib(r.perTask.pss)} |`;
});
const section = [
  '',
  '## containerd: tsd-containerd beside Debian\'s containerd 1.6',
  '',
  `\`npx tsx bench/containerd.ts\` (as root, after \`npm run build\`): fresh dirs per run, nginx fixture (Debian minbase + nginx) from`,
  `the local registry, median cold pull of ${RUNS}, memory in MiB as RSS / PSS (PSS shares pages between processes fairly;`,
  `RSS counts a Go shim's or Node's shared text once per process). Per container: daemon + all its shims with ${TASKS} \`sleep\` tasks,`,
  'minus the idle daemon after the pull, divided by the task count. Machine: 2 CPUs shared with other jobs.',
  '',
  '| engine | cold pull nginx [s] | idle daemon | daemon after pull | per running container |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows,
  '',
].join('\n');
process.stdout.write(section);
if (process.argv.includes('--write')) appendFileSync(new URL('../docs/benchmarks.md', import.meta.url), section);
