/**
 * Daemon start-up: tsd-containerd and the TypeScript dockerd, from spawn to the first answer
 * (containerd: a gRPC Version call; dockerd: GET /_ping), and their idle memory 2 s later.
 * Variants are directories holding containerd.mjs, dockerd.mjs and containerd-proto/ (a copy of
 * dist/guest from before a change, and dist/guest): runs interleave them (A B, then B A) so a busy
 * moment of the shared machine lands on both.
 *
 *   npx tsx bench/daemon-startup.ts [--runs N] [--node PATH] [--cache] [--modules] [name=DIR ...]
 *
 * Per start: wall ms to the first answer, CPU ms (all the daemon's threads, from /proc/PID/task/TID/schedstat) at that
 * moment, and after 2 s idle the RSS and anonymous memory (MiB, /proc/PID/status). dockerd is started
 * against an idle tsd-containerd of the same variant (started before, not measured). `--cache` sets
 * NODE_COMPILE_CACHE to a directory per variant, primed by one start first, as the guest's init does.
 * `--modules` reports how many built-in modules each daemon has loaded once it answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chooseNode } from '../guest/engine/guest-node.js';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = argv.indexOf(name);
  return at === -1 ? undefined : argv[at + 1];
};
const RUNS = Number(option('--runs') ?? 5);
const NODE = option('--node') ?? chooseNode(undefined).path;
const CACHE = argv.includes('--cache');
const MODULES = argv.includes('--modules');
// name=DIR, or name=DIR,cache for a variant with a primed compile cache beside ones without.
const variants = argv.filter((a) => /^[\w.+-]+=/.test(a)).map((a) => {
  const [dir, flag] = a.slice(a.indexOf('=') + 1).split(',');
  return { name: a.split('=')[0]!, dir: resolve(dir!), cache: CACHE || flag === 'cache' };
});
if (variants.length === 0) variants.push({ name: 'dist', dir: resolve('dist/guest'), cache: CACHE });

const work = mkdtempSync(join(tmpdir(), 'tsd-startup-'));
const preload = join(work, 'module-count.cjs');
// Answers SIGUSR2 with the number of built-in modules loaded (the bundle itself is one file).
writeFileSync(preload, "process.on('SIGUSR2', () => process.stderr.write(`modules: ${process.moduleLoadList.filter((m) => m.startsWith('NativeModule')).length}\\n`));\n");

interface Sample { wallMs: number; cpuMs: number; rssMiB: number; anonMiB: number; modules?: number }

/** CPU time of every thread of the process, ns-exact (/proc/PID/task/TID/schedstat), in ms. */
function cpuMsOf(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ns / 1e6;
}

function memoryOf(pid: number): { rssMiB: number; anonMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, anonMiB: kib('RssAnon') / 1024 };
}

/** One gRPC Version call over the unix socket; resolves true on grpc-status 0. */
function grpcVersion(socket: string): Promise<boolean> {
  return new Promise((done) => {
    const session = http2Connect('http://localhost', { createConnection: () => netConnect(socket) });
    session.on('error', () => done(false));
    const stream = session.request({ ':method': 'POST', ':path': '/containerd.services.version.v1.Version/Version', 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('error', () => done(false));
    stream.on('trailers', (trailers) => {
      session.close();
      done(trailers['grpc-status'] === '0');
    });
    stream.on('close', () => done(false));
    stream.resume();
    stream.end(Buffer.alloc(5));
  });
}

function ping(socket: string): Promise<boolean> {
  return new Promise((done) => {
    const req = request({ socketPath: socket, path: '/_ping' }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode === 200));
    });
    req.on('error', () => done(false));
    req.end();
  });
}

async function untilAnswer(child: ChildProcess, probe: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited (${child.exitCode}) before answering`);
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
}

function spawnDaemon(args: string[], cacheDir: string | undefined): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['NODE_OPTIONS'];
  if (cacheDir) env['NODE_COMPILE_CACHE'] = cacheDir;
  const flags = MODULES ? ['--require', preload] : [];
  const child = spawn(NODE, [...flags, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.setEncoding('utf8');
  let err = '';
  child.stderr!.on('data', (chunk: string) => (err += chunk));
  (child as ChildProcess & { errText: () => string }).errText = () => err;
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function measure(child: ChildProcess, started: number, probe: () => Promise<boolean>): Promise<Sample> {
  await untilAnswer(child, probe);
  const wallMs = performance.now() - started;
  const cpuMs = cpuMsOf(child.pid!);
  let modules: number | undefined;
  if (MODULES) {
    child.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 200));
    modules = Number(/modules: (\d+)/.exec((child as ChildProcess & { errText: () => string }).errText())?.[1]);
  }
  await new Promise((r) => setTimeout(r, 2000));
  return { wallMs, cpuMs, ...memoryOf(child.pid!), ...(modules !== undefined ? { modules } : {}) };
}

function containerdArgs(dir: string, root: string): string[] {
  return [join(dir, 'containerd.mjs'), '--address', join(root, 'c.sock'), '--root', join(root, 'root'), '--state', join(root, 'state')];
}

async function containerdStart(dir: string, cacheDir: string | undefined): Promise<Sample> {
  const root = mkdtempSync(join(work, 'c-'));
  const started = performance.now();
  const child = spawnDaemon(containerdArgs(dir, root), cacheDir);
  try {
    return await measure(child, started, () => grpcVersion(join(root, 'c.sock')));
  } finally {
    await stop(child);
    rmSync(root, { recursive: true, force: true });
  }
}

async function dockerdStart(dir: string, cacheDir: string | undefined): Promise<Sample> {
  const root = mkdtempSync(join(work, 'd-'));
  const containerd = spawnDaemon(containerdArgs(dir, root), cacheDir);
  let dockerd: ChildProcess | undefined;
  try {
    await untilAnswer(containerd, () => grpcVersion(join(root, 'c.sock')));
    const socket = join(root, 'docker.sock');
    const started = performance.now();
    dockerd = spawnDaemon([join(dir, 'dockerd.mjs'), '-H', `unix://${socket}`, '--data-root', join(root, 'docker'),
      '--exec-root', join(root, 'exec'), '--containerd', join(root, 'c.sock'), '--bridge', 'tsdsu0'], cacheDir);
    return await measure(dockerd, started, () => ping(socket));
  } finally {
    if (dockerd) await stop(dockerd);
    await stop(containerd);
    rmSync(root, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[], digits = 0): string => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

const daemons = { containerd: containerdStart, dockerd: dockerdStart } as const;
const results = new Map<string, Sample[]>();
const cacheOf = (variant: { name: string; cache: boolean }): string | undefined => (variant.cache ? join(work, `cache-${variant.name}`) : undefined);
for (const v of variants) if (v.cache) await dockerdStart(v.dir, cacheOf(v)); // primes both daemons' caches
for (let run = 0; run < RUNS; run++) {
  const order = run % 2 === 0 ? variants : [...variants].reverse();
  for (const [daemon, start] of Object.entries(daemons)) {
    for (const v of order) {
      const sample = await start(v.dir, cacheOf(v));
      const key = `${daemon} ${v.name}`;
      results.set(key, [...(results.get(key) ?? []), sample]);
      process.stderr.write(`${key}: ${sample.wallMs.toFixed(0)} ms, cpu ${sample.cpuMs.toFixed(0)} ms, rss ${sample.rssMiB.toFixed(1)}, anon ${sample.anonMiB.toFixed(1)}${sample.modules ? `, modules ${sample.modules}` : ''}\n`);
    }
  }
}
rmSync(work, { recursive: true, force: true });

console.log(`node ${NODE}, ${RUNS} starts each${variants.some((v) => v.cache) ? '; variants marked ,cache ran with a primed compile cache' : ', no compile cache'}; median (min–max)\n`);
console.log(`| daemon | variant | wall to first answer, ms | CPU to first answer, ms | idle RSS, MiB | idle anonymous, MiB |${MODULES ? ' built-in modules |' : ''}`);
console.log(`| --- | --- | ---: | ---: | ---: | ---: |${MODULES ? ' ---: |' : ''}`);
for (const [key, samples] of results) {
  const [daemon, variant] = key.split(' ');
  console.log(`| ${daemon} | ${variant} | ${fmt(samples.map((s) => s.wallMs))} | ${fmt(samples.map((s) => s.cpuMs))} | ${fmt(samples.map((s) => s.rssMiB), 1)} | ${fmt(samples.map((s) => s.anonMiB), 1)} |${MODULES ? ` ${median(samples.map((s) => s.modules ?? NaN))} |` : ''}`);
}
