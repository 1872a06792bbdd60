/**
 * Engine benchmark, host mode, side by side in one run: our engine (`npm run engine`: tsd-containerd,
 * the TypeScript dockerd, our shim and tsd-runc) against Debian's docker.io (dockerd 20.10 with its
 * own containerd 1.6 and runc), both driven by the real docker CLI 28, images from the fixture
 * registry on 127.0.0.1 (the engines' docker.io mirror). Measures, engines interleaved:
 *   1. `docker run --rm busybox true` latency (and the Engine API phases of a run, and daemon CPU);
 *   2. create + remove throughput;
 *   3. idle memory of the engine's processes (RSS, PSS, anonymous);
 *   4. memory per running container (20 `sleep`s; engine-side processes only);
 *   5. `docker logs` throughput for a container that wrote 100 MiB to stdout;
 *   6. download throughput through a published port (nginx serving a 100 MiB file);
 *   7. for the analysis: which programs each engine runs for one `docker run`, and when (perf).
 * Writes the "engine-host" section of docs/benchmarks.md (the analysis after its marker is kept).
 *
 *   npx tsx bench/engine-host.ts [--runs N] [--only 1,2,3,7] [--no-write] [--cpu-prof DIR]   (as root, after `npm run build`)
 *
 * --cpu-prof DIR: our daemons run with `--cpu-prof` into DIR (read them with
 * `npx tsx bench/lib/cpu-profile.ts DIR/*.cpuprofile`); for analysis, the docs are not written.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startFixtureRegistry } from '../test/fixtures/fixture-images.js';
import { writeDocsSection } from './lib/docs-section.js';
import { dockerOk, startDebianEngine, startOurEngine, type BenchEngine } from './lib/engines.js';
import { engineMemory, measureIdle, measurePerContainer, type IdleResult, type PerContainerResult } from './lib/engine-memory.js';
import { measureApiPhases, measureCreateRemove, measureRunLatency, type ApiPhases, type CreateRemoveResult, type LatencyResult } from './lib/engine-latency.js';
import { measureLogs, measurePublishedPort, type LogsResult, type PortResult } from './lib/engine-throughput.js';
import { renderEngineReport } from './lib/engine-report.js';
import { execTimeline, type Timeline } from './lib/exec-timeline.js';
import { settle } from './lib/stats.js';
import { profileEngineDaemons } from './lib/cpu-profile.js';

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
};
const RUNS = Number(arg('--runs') ?? 15);
const ONLY = new Set((arg('--only') ?? '1,2,3,4,5,6,7').split(',').map(Number));
const PROFILE_DIR = arg('--cpu-prof');
const WRITE = !process.argv.includes('--no-write') && PROFILE_DIR === undefined;
if (PROFILE_DIR) profileEngineDaemons(resolve(PROFILE_DIR));

export interface EngineResults {
  engine: string;
  idle?: IdleResult;
  latency?: LatencyResult;
  phases?: ApiPhases;
  createRemove?: CreateRemoveResult;
  perContainer?: PerContainerResult;
  /** 100 MiB, then 10 MiB (under the size where our engine's `docker logs` broke when this was written) */
  logs?: LogsResult[];
  port?: PortResult;
  /** programs run for one `docker run --rm busybox true`, from scheduler tracepoints */
  timeline?: Timeline;
}

const log = (line: string): void => void process.stderr.write(`[engine-host] ${line}\n`);

const registry = await startFixtureRegistry({});
const mirror = `http://${registry.host}`;
const engines: BenchEngine[] = [];
const cleanup: string[] = [];
const failures: string[] = [];
let results: EngineResults[] = [];

/** Stops both engines (by PID, through their helpers) and the registry, once; also on Ctrl-C. */
let stopped: Promise<void> | undefined;
function stopAll(): Promise<void> {
  stopped ??= (async () => {
    for (const engine of [...engines].reverse()) {
      try {
        cleanup.push(...(await engine.stop()).map((note) => `${engine.name}: ${note}`));
      } catch (error) {
        cleanup.push(`${engine.name}: stop failed: ${(error as Error).message}`);
      }
    }
    await registry.stop();
  })();
  return stopped;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping both engines`);
    void stopAll().finally(() => {
      for (const note of cleanup) log(note);
      process.exit(130);
    });
  });
}

/** One measurement; a failure is recorded for the report (with our engine's last log lines) and the run goes on. */
async function step(number: number, label: string, body: () => Promise<void>): Promise<void> {
  if (!ONLY.has(number)) return;
  log(label);
  try {
    await body();
  } catch (error) {
    const message = (error as Error).message.trim();
    failures.push(`${label}: ${message}`);
    log(`FAILED: ${message}`);
    for (const engine of engines) if (engine.logTail) log(`${engine.name}, last log lines:\n${engine.logTail(15)}`);
  }
}

try {
  log('starting both engines');
  engines.push(await startOurEngine(mirror));
  engines.push(await startDebianEngine(mirror));
  results = engines.map((engine) => ({ engine: engine.name }));
  await settle(5000); // startup settles: lazy loading, first GCs
  await step(3, 'idle memory', async () => {
    for (const [i, engine] of engines.entries()) results[i]!.idle = await measureIdle(engine);
  });
  log('pulling busybox and nginx from the mirror');
  for (const engine of engines) for (const image of ['busybox', 'nginx']) await dockerOk(engine, ['pull', '-q', image]);
  await step(3, 'idle memory after the pulls', async () => {
    await settle(3000);
    for (const [i, engine] of engines.entries()) results[i]!.idle!.afterPull = await engineMemory(engine);
  });
  await step(1, `run latency: ${RUNS} runs per engine, interleaved`, async () => {
    const latency = await measureRunLatency(engines, RUNS);
    const phases = await measureApiPhases(engines, 5);
    for (const [i] of engines.entries()) Object.assign(results[i]!, { latency: latency[i], phases: phases[i] });
  });
  await step(2, 'create + remove throughput', async () => {
    const createRemove = await measureCreateRemove(engines, 20, 2);
    for (const [i] of engines.entries()) results[i]!.createRemove = createRemove[i];
  });
  await step(4, 'memory per running container', async () => {
    for (const [i, engine] of engines.entries()) results[i]!.perContainer = await measurePerContainer(engine, 20);
  });
  await step(5, 'docker logs of 100 MiB and of 10 MiB', async () => {
    const big = await measureLogs(engines, 100, 2);
    const small = await measureLogs(engines, 10, 3);
    for (const [i] of engines.entries()) results[i]!.logs = [big[i]!, small[i]!];
  });
  await step(6, 'download of 100 MiB through a published port', async () => {
    const port = await measurePublishedPort(engines, 100, 3);
    for (const [i] of engines.entries()) results[i]!.port = port[i];
  });
  await step(7, 'timeline of one run (perf sched tracepoints)', async () => {
    if (!existsSync('/usr/bin/perf')) throw new Error('perf is not installed (Debian package linux-perf); no timeline');
    for (const [i, engine] of engines.entries()) results[i]!.timeline = await execTimeline(engine, ['run', '--rm', 'busybox', 'true']);
  });
} finally {
  await stopAll();
}

const report = renderEngineReport(results, { runs: RUNS, cleanup, failures });
process.stdout.write(`${report}\n`);
if (WRITE && ONLY.size === 7) writeDocsSection('engine-host', report);
else if (WRITE) log('partial run (--only): docs/benchmarks.md not written');
