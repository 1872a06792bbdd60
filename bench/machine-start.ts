/**
 * Machine start benchmark: cold start (`tsd machine start` from stopped, with the image already
 * built) to the first successful `docker version` through the host socket, and stop time, over
 * several runs, with where the time goes (agent timings in state.json + kernel/init timestamps in
 * serial.log). Writes the "machine start" section of docs/benchmarks.md.
 *
 *   npx tsx bench/machine-start.ts [--runs N] [--no-write]      (after `npm run build`)
 *
 * --no-write prints the section without touching docs/benchmarks.md (for comparing variants);
 * --keep-logs DIR copies each run's serial.log there (run-N.serial.log) to read where the time went.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../', import.meta.url).pathname;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg === -1 ? 5 : Number(process.argv[runsArg + 1]);
const WRITE = !process.argv.includes('--no-write');
const keepArg = process.argv.indexOf('--keep-logs');
const KEEP_LOGS = keepArg === -1 ? undefined : process.argv[keepArg + 1];
const home = mkdtempSync(join(tmpdir(), 'tsd-bench-'));
const env = { ...process.env, TSD_HOME: join(home, 'h'), DOCKER_CONFIG: join(home, 'docker') };
const NAME = 'bench';
const dir = join(home, 'h', 'machines', NAME);

const tsd = (...args: string[]) => execFileSync(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const seconds = (ms: number) => (ms / 1000).toFixed(2);

interface Run {
  startToDocker: number;
  /** CPU time QEMU used from its spawn to the first `docker version` OK: the guest's work, less sensitive to host load than wall time. */
  qemuCpu: number;
  /** The host's 1-minute load average when that `docker version` answered (the host is shared). */
  load: number;
  stop: number;
  qmp: number;
  console: number;
  /** ms after QEMU's spawn when the guest's clock read 0 (kernel start): the first console byte less its own timestamp. */
  kernelStart: number;
  runInit: number;
  nodeInit: number;
  sshdStarted: number;
  dataDisk: number;
  engineStarted: number;
  initReady: number;
  /** Guest side: the init's readiness check first connected to sshd's port / the Engine API socket. */
  sshdAnswers: number;
  engineAnswers: number;
  ssh: number;
  engine: number;
  /** Host side, ms after QEMU's spawn: the agent wrote "running", the CLI returned, `docker version` answered. */
  running: number;
  cliReturned: number;
  dockerVersion: number;
  /** ms from launching `tsd machine start` to QEMU's spawn (the CLI and the agent before QEMU). */
  beforeSpawn: number;
  attempt: number;
}

/** Seconds since kernel start of the first serial line matching re ([ 1.234] or [1.234] prefixes). */
function serialAt(log: string, re: RegExp): number {
  const line = log.split('\n').find((l) => re.test(l));
  const stamp = line === undefined ? undefined : /^\[\s*([\d.]+)\]/.exec(line)?.[1];
  return stamp === undefined ? NaN : Number(stamp) * 1000;
}

/** utime + stime of a process in ms (/proc/PID/stat fields 14 and 15, in clock ticks of 10 ms). */
function qemuCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * When a process started, in ms since the epoch: /proc/PID/stat field 22 (clock ticks of 10 ms since
 * boot) against /proc/uptime read now (btime in /proc/stat has only whole seconds).
 */
function processStartMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  const uptimeMs = Number.parseFloat(readFileSync('/proc/uptime', 'utf8')) * 1000;
  return Date.now() - (uptimeMs - ticks * 10);
}

function once(index: number): Run {
  // Outside the timing: the image must already match dist/ (on a shared tree someone may have
  // rebuilt the guest bundles since the last run, and the timed start would build the image).
  tsd('image', 'build');
  const begin = Date.now();
  tsd('machine', 'start', NAME);
  const cliReturned = Date.now();
  const socket = join(dir, 'docker.sock');
  execFileSync('/usr/local/bin/docker', ['-H', `unix://${socket}`, 'version'], { env, stdio: 'ignore' });
  const startToDocker = Date.now() - begin;
  const qemuPid = (JSON.parse(readFileSync(join(dir, 'qemu.pid'), 'utf8')) as { pid: number }).pid;
  const qemuCpu = qemuCpuMs(qemuPid);
  const spawned = processStartMs(qemuPid);
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { timings: Record<string, number>; attempt: number; startedAtMs: number };
  const log = readFileSync(join(dir, 'serial.log'), 'utf8').replaceAll('\r', '');
  if (KEEP_LOGS !== undefined) {
    mkdirSync(KEEP_LOGS, { recursive: true });
    copyFileSync(join(dir, 'serial.log'), join(KEEP_LOGS, `run-${index + 1}.serial.log`));
  }
  const stopBegin = Date.now();
  tsd('machine', 'stop', NAME);
  return {
    startToDocker,
    qemuCpu,
    load: loadavg()[0]!,
    stop: Date.now() - stopBegin,
    qmp: state.timings.qmp!,
    console: state.timings.console!,
    // 0 with the kernel's own first line; a quiet kernel's first line is stamped later
    kernelStart: state.timings.console! - (serialAt(log, /^\[\s*[\d.]+\]/) || 0),
    runInit: serialAt(log, /Run \/init as init process/),
    nodeInit: serialAt(log, /tsd-init: starting/),
    sshdStarted: serialAt(log, /tsd-init: step start-sshd: done/),
    dataDisk: serialAt(log, /tsd-init: step mount-data-disk: done/),
    engineStarted: serialAt(log, /tsd-init: step start-engine: done/),
    initReady: serialAt(log, /tsd-init: ready/),
    sshdAnswers: serialAt(log, /tsd-init: answers: ssh/),
    engineAnswers: serialAt(log, /tsd-init: answers: Engine API/),
    ssh: state.timings.ssh!,
    engine: state.timings.engine!,
    running: state.startedAtMs - spawned,
    cliReturned: cliReturned - spawned,
    dockerVersion: begin + startToDocker - spawned,
    beforeSpawn: spawned - begin,
    attempt: state.attempt,
  };
}

function stats(values: number[], format: (value: number) => string = seconds): string {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return `${format(mean)} | ${format(sorted[0]!)} | ${format(sorted[sorted.length - 1]!)}`;
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
    runs.push(once(i));
    process.stderr.write(`run ${i + 1}: ${seconds(runs.at(-1)!.startToDocker)} s to docker version (QEMU CPU ${seconds(runs.at(-1)!.qemuCpu)} s, load ${loadavg()[0]!.toFixed(1)}), stop ${seconds(runs.at(-1)!.stop)} s\n`);
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
    `| QEMU's CPU time from spawn to that \`docker version\` | ${stats(col('qemuCpu'))} |`,
    `| host load (1-min average) at that moment | ${stats(col('load'), (v) => v.toFixed(1))} |`,
    `| \`tsd machine stop\` (ACPI powerdown → QEMU exit) | ${stats(col('stop'))} |`,
    `| from launching \`tsd machine start\` to QEMU's spawn (CLI, agent) | ${stats(col('beforeSpawn'))} |`,
    '',
    'Where the start goes (seconds after QEMU is spawned, wall clock as the agent saw it; the guest rows add the guest\'s own timestamps to the kernel\'s start, taken as the first console byte less its own timestamp, so they are approximate):',
    '',
    '| step | mean | min | max |',
    '| --- | ---: | ---: | ---: |',
    `| QMP answers (QEMU up) | ${stats(col('qmp'))} |`,
    `| first console byte | ${stats(col('console'))} |`,
    `| kernel starts (first byte less its guest timestamp) | ${stats(col('kernelStart'))} |`,
    `| kernel runs /init | ${stats(runs.map((r) => r.kernelStart + r.runInit))} |`,
    `| Node's init starts | ${stats(runs.map((r) => r.kernelStart + r.nodeInit))} |`,
    `| sshd started (its Node starting) | ${stats(runs.map((r) => r.kernelStart + r.sshdStarted))} |`,
    `| data disk mounted | ${stats(runs.map((r) => r.kernelStart + r.dataDisk))} |`,
    `| containerd and dockerd started | ${stats(runs.map((r) => r.kernelStart + r.engineStarted))} |`,
    `| guest: sshd's port accepts | ${stats(runs.map((r) => r.kernelStart + r.sshdAnswers))} |`,
    `| guest: the Engine API socket accepts | ${stats(runs.map((r) => r.kernelStart + r.engineAnswers))} |`,
    `| guest init ready (services started) | ${stats(runs.map((r) => r.kernelStart + r.initReady))} |`,
    `| SSH session established | ${stats(col('ssh'))} |`,
    `| Engine API answers /_ping | ${stats(col('engine'))} |`,
    `| agent: machine running (clock set, socket forwarded) | ${stats(col('running'))} |`,
    `| \`tsd machine start\` returned | ${stats(col('cliReturned'))} |`,
    `| first \`docker version\` OK | ${stats(col('dockerVersion'))} |`,
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
