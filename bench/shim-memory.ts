/**
 * Shim memory benchmark: RSS of 20 `sleep` tasks under our shim (io.containerd.tsd.v2) vs
 * Debian's containerd-shim-runc-v2 (io.containerd.runc.v2 with Debian's runc), on one Debian
 * containerd 1.6 in one run. Engine-side processes only: containerd's growth over idle plus every
 * shim process serving the address; the containers' own `sleep`s are the same in both and left out.
 * Writes the "shim memory" section of docs/benchmarks.md.
 *
 *   npx tsx bench/shim-memory.ts [--tasks N] [--no-write]      (as root, after `npm run build`)
 */
import { startFixtureRegistry } from '../test/fixtures/fixture-images.js';
import { DebianContainerd } from '../test/helpers/debian-containerd.js';
import { writeDocsSection } from './lib/docs-section.js';
import { memoryOf, processTable } from './lib/proc.js';
import { settle } from './lib/stats.js';

const tasksArg = process.argv.indexOf('--tasks');
const TASKS = tasksArg === -1 ? 20 : Number(process.argv[tasksArg + 1]);
const WRITE = !process.argv.includes('--no-write');
const MiB = 1024 * 1024;
const NAMESPACES = ['bench-runc', 'bench-tsd', 'bench-tsd-per-task'] as const;

interface Sample {
  runtime: string;
  shims: number;
  shimRss: number;
  containerdGrowth: number;
  firstShimRss: number;
}

const rssOf = (pid: number): number => memoryOf(pid).rss * 1024;

/** Shim processes started for this containerd and namespace (their argv carries both). */
function shimPids(address: string, namespace: string, marker: string): number[] {
  return processTable()
    .filter(({ argv }) => argv.includes(address) && argv.includes(namespace) && argv.some((arg) => arg.includes(marker)))
    .map(({ pid }) => pid);
}

/** Seconds to stream `bytes` of container output through the shim to an attached `ctr run --rm`. */
async function outputSeconds(containerd: DebianContainerd, image: string, runtime: string, namespace: string, bytes: number): Promise<number> {
  const started = Date.now();
  const result = await containerd.ctr(['run', '--runtime', runtime, '--rm', image, `output-${Date.now()}`, 'sh', '-c', `yes 0123456789012345678901234567890123456789 | head -c ${bytes}`], { namespace, timeoutMs: 300_000 });
  if (result.stdout.length !== bytes) throw new Error(`${runtime}: got ${result.stdout.length} of ${bytes} bytes: ${result.stderr}`);
  return (Date.now() - started) / 1000;
}

async function measure(containerd: DebianContainerd, image: string, runtime: string, marker: string, namespace: string, extra: string[] = []): Promise<Sample> {
  const idle = rssOf(containerd.pid!);
  let firstShimRss = 0;
  for (let i = 0; i < TASKS; i++) {
    await containerd.ctrOk(['run', '--runtime', runtime, ...extra, '-d', image, `sleep-${i}`, 'sleep', '100000'], { namespace });
    if (i === 0) {
      await settle(1000);
      firstShimRss = shimPids(containerd.address, namespace, marker).reduce((sum, pid) => sum + rssOf(pid), 0);
    }
  }
  await settle(2000);
  const pids = shimPids(containerd.address, namespace, marker);
  const sample = {
    runtime: extra.length > 0 ? `${runtime} (${extra.filter((arg) => !arg.startsWith('-')).join(' ')})` : runtime,
    shims: pids.length,
    shimRss: pids.reduce((sum, pid) => sum + rssOf(pid), 0),
    containerdGrowth: rssOf(containerd.pid!) - idle,
    firstShimRss,
  };
  await containerd.removeAll(namespace);
  return sample;
}

const containerd = await DebianContainerd.start();
const fixtures = await startFixtureRegistry({ nginx: false });
try {
  const image = `${fixtures.host}/library/busybox:latest`;
  for (const namespace of NAMESPACES) await containerd.ctrOk(['images', 'pull', '--plain-http', image], { namespace });
  const samples = [
    await measure(containerd, image, 'io.containerd.runc.v2', 'containerd-shim-runc-v2', NAMESPACES[0]),
    await measure(containerd, image, 'io.containerd.tsd.v2', 'shim.mjs', NAMESPACES[1]),
    await measure(containerd, image, 'io.containerd.tsd.v2', 'shim.mjs', NAMESPACES[2], ['--annotation', 'io.containerd.tsd.v2.group=container']),
  ];
  const rows = samples.map((s) => {
    const perTask = (s.shimRss + Math.max(0, s.containerdGrowth)) / TASKS;
    return `| ${s.runtime} | ${s.shims} | ${(s.firstShimRss / MiB).toFixed(1)} | ${(s.shimRss / MiB).toFixed(1)} | ${(s.containerdGrowth / MiB).toFixed(1)} | **${(perTask / MiB).toFixed(2)}** |`;
  });
  const [runc, tsd, perTask] = samples as [Sample, Sample, Sample];
  const OUTPUT = 100 * MiB;
  const output = { runc: [] as number[], tsd: [] as number[] };
  for (let i = 0; i < 3; i++) {
    output.runc.push(await outputSeconds(containerd, image, 'io.containerd.runc.v2', NAMESPACES[0], OUTPUT));
    output.tsd.push(await outputSeconds(containerd, image, 'io.containerd.tsd.v2', NAMESPACES[1], OUTPUT));
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[1]!;
  const ratio = (tsd.shimRss + Math.max(0, tsd.containerdGrowth)) / (runc.shimRss + Math.max(0, runc.containerdGrowth));
  const crossover = Math.ceil(tsd.firstShimRss / runc.firstShimRss);
  const section = [
    '## Shim memory: 20 tasks under our shim vs containerd-shim-runc-v2',
    '',
    `\`npx tsx bench/shim-memory.ts\` (as root): Debian's containerd ${'1.6'} on its own socket and dirs, ${TASKS} \`ctr run -d … sleep\``,
    'tasks per runtime, one runtime after the other in one run. RSS from /proc/PID/status; "per task" is',
    '(all shim processes + containerd\'s growth over idle) / tasks; the containers\' own processes are excluded.',
    `Measured ${new Date().toISOString().slice(0, 10)} on the shared 2-CPU build machine (host Node ${process.version} runs our shim).`,
    '',
    '| runtime | shim processes | RSS, 1 task (MiB) | shims RSS, all tasks (MiB) | containerd growth (MiB) | per task (MiB) |',
    '|:---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Ours / runc shim, per task: **${ratio.toFixed(2)}×**. Our shim is one Node process per namespace (tasks are grouped,`,
    'see guest/shim/README.md), so its cost is paid once and then grows by the per-task state only; the runc shim',
    `is one Go process per task. With a single task ours is larger (one Node process, ${(tsd.firstShimRss / MiB).toFixed(0)} MiB); from about`,
    `${crossover} tasks per namespace on, one Node shim costs less than that many runc shims. Without grouping`,
    `(annotation io.containerd.tsd.v2.group=container: one Node shim per task) it would be ${((perTask.shimRss + Math.max(0, perTask.containerdGrowth)) / TASKS / MiB).toFixed(1)} MiB per task,`,
    `${((perTask.shimRss + Math.max(0, perTask.containerdGrowth)) / (runc.shimRss + Math.max(0, runc.containerdGrowth))).toFixed(1)}× the runc shim: that is why grouping is the default.`,
    '',
    `Output throughput (not memory, but the price of copying in Node): ${OUTPUT / MiB} MiB of container stdout to an attached`,
    '`ctr run --rm`, median of 3, alternating runtimes:',
    '',
    '| runtime | seconds | MiB/s |',
    '|:---|---:|---:|',
    `| io.containerd.runc.v2 | ${median(output.runc).toFixed(2)} | ${(OUTPUT / MiB / median(output.runc)).toFixed(0)} |`,
    `| io.containerd.tsd.v2 | ${median(output.tsd).toFixed(2)} | ${(OUTPUT / MiB / median(output.tsd)).toFixed(0)} |`,
  ].join('\n');
  process.stdout.write(`${section}\n`);
  if (WRITE) writeDocsSection('shim-memory', section);
} finally {
  await containerd.stop(NAMESPACES);
  await fixtures.stop();
}
