/**
 * Machine start benchmark: cold start (`tsd machine start` from stopped, with the image already
 * built) to the first successful `docker version` through the host socket, and stop time, over
 * several runs, with where the time goes (agent timings in state.json + kernel/init timestamps in
 * serial.log). Writes the "machine start" section of docs/benchmarks.md.
 *
 *   npx tsx bench/machine-start.ts [--runs N] [--no-write]      (after `npm run build`)
 *
 * --no-write prints the section without touching docs/benchmarks.md (for comparing variants).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../', import.meta.url).pathname;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg === -1 ? 5 : Number(process.argv[runsArg + 1]);
const WRITE = !process.argv.includes('--no-write');
const home = mkdtempSync(join(tmpdir(), 'tsd-bench-'));
const env = { ...process.env, TSD_HOME: join(home, 'h'), DOCKER_CONFIG: join(home, 'docker') };
const NAME = 'bench';
const dir = join(home, 'h', 'machines', NAME);

const tsd = (...args: string[]) => execFileSync(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const seconds = (ms: number) => (ms / 1000).toFixed(2);

interface Run {
  startToDocker: number;
  stop: number;
  qmp: number;
  console: number;
  runInit: number;
  initReady: number;
  ssh: number;
  engine: number;
  attempt: number;
}

/** Seconds since kernel start of the first serial line matching re ([ 1.234] or [1.234] prefixes). */
function serialAt(log: string, re: RegExp): number {
  const line = log.split('\n').find((l) => re.test(l));
  const stamp = line === undefined ? undefined : /^\[\s*([\d.]+)\]/.exec(line)?.[1];
  return stamp === undefined ? NaN : Number(stamp) * 1000;
}

function once(): Run {
  // Outside the timing: the image must already match dist/ (on a shared tree someone may have
  // rebuilt the guest bundles since the last run, and the timed start would build the image).
  tsd('image', 'build');
  const begin = Date.now();
  tsd('machine', 'start', NAME);
  const socket = join(dir, 'docker.sock');
  execFileSync('/usr/local/bin/docker', ['-H', `unix://${socket}`, 'version'], { env, stdio: 'ignore' });
  const startToDocker = Date.now() - begin;
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { timings: Record<string, number>; attempt: number };
  const log = readFileSync(join(dir, 'serial.log'), 'utf8').replaceAll('\r', '');
  const stopBegin = Date.now();
  tsd('machine', 'stop', NAME);
  return {
    startToDocker,
    stop: Date.now() - stopBegin,
    qmp: state.timings.qmp!,
    console: state.timings.console!,
    runInit: serialAt(log, /Run \/init as init process/),
    initReady: serialAt(log, /tsd-init: ready/),
    ssh: state.timings.ssh!,
    engine: state.timings.engine!,
    attempt: state.attempt,
  };
}

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return `${seconds(mean)} | ${seconds(sorted[0]!)} | ${seconds(sorted[sorted.length - 1]!)}`;
}

try {
  writeFileSync(join(home, 'm.yaml'), 'cpus: 2\nmemory: 1GiB\ndisk: 4\nmounts: []\n');
  tsd('machine', 'create', NAME, '-f', join(home, 'm.yaml'));
  process.stderr.write('warm-up start (image build/cache, KVM probe)…\n');
  tsd('machine', 'start', NAME);
  const accel = (JSON.parse(tsd('machine', 'status', NAME, '--json')) as { accel: string }).accel;
  tsd('machine', 'stop', NAME);
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    runs.push(once());
    process.stderr.write(`run ${i + 1}: ${seconds(runs.at(-1)!.startToDocker)} s to docker version, stop ${seconds(runs.at(-1)!.stop)} s\n`);
  }
  const col = (key: keyof Run) => runs.map((run) => run[key]);
  const section = [
    '## machine start: cold start to `docker version`, and stop',
    '',
    `\`npx tsx bench/machine-start.ts --runs ${RUNS}\` (after \`npm run build\`; the image already built). Accelerator: **${accel}**,`,
    `x86_64 guest, 2 vCPUs, 1 GiB; host: ${process.platform}/${process.arch}, shared with other jobs (expect noise).`,
    `Boot attempts needing the retry: ${runs.filter((r) => r.attempt > 1).length} of ${RUNS}.`,
    '',
    '| measure (s) | mean | min | max |',
    '| --- | ---: | ---: | ---: |',
    `| \`tsd machine start\` → first \`docker version\` OK | ${stats(col('startToDocker'))} |`,
    `| \`tsd machine stop\` (ACPI powerdown → QEMU exit) | ${stats(col('stop'))} |`,
    '',
    'Where the start goes (seconds after QEMU is spawned, wall clock as the agent saw it; the kernel/init rows add the guest\'s own timestamps to the moment of the first console byte, so they are approximate):',
    '',
    '| step | mean | min | max |',
    '| --- | ---: | ---: | ---: |',
    `| QMP answers (QEMU up) | ${stats(col('qmp'))} |`,
    `| first console byte (kernel starts) | ${stats(col('console'))} |`,
    `| kernel runs /init | ${stats(runs.map((r) => r.console + r.runInit))} |`,
    `| guest init ready (services started) | ${stats(runs.map((r) => r.console + r.initReady))} |`,
    `| SSH session established | ${stats(col('ssh'))} |`,
    `| Engine API answers /_ping | ${stats(col('engine'))} |`,
    '',
  ].join('\n');
  const docPath = join(ROOT, 'docs/benchmarks.md');
  const doc = readFileSync(docPath, 'utf8');
  const start = doc.indexOf('## machine start');
  const next = start === -1 ? -1 : doc.indexOf('\n## ', start + 1);
  // the next section keeps its blank line before it
  const updated = start === -1 ? `${doc.trimEnd()}\n\n${section}` : `${doc.slice(0, start)}${section}${next === -1 ? '' : `\n${doc.slice(next + 1)}`}`;
  if (WRITE) writeFileSync(docPath, updated.endsWith('\n') ? updated : `${updated}\n`);
  process.stdout.write(section);
} finally {
  try {
    tsd('machine', 'delete', NAME, '--force');
  } catch {
    // nothing to delete
  }
  rmSync(home, { recursive: true, force: true });
}
