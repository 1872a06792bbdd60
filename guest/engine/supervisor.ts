/**
 * The host-mode engine: tsd-containerd on <root>/containerd.sock, then dockerd pointed at it, both
 * on the chosen Node, in the foreground. Readiness is explicit (containerd's ready line, dockerd's
 * /_ping). A daemon that exits on its own is started again (a bounded number of times), so a
 * crashed or kill -9'd dockerd comes back while containerd and its containers keep running; PIDs
 * are in <root>/{containerd,dockerd}.pid. stop() ends dockerd first (it holds containerd's
 * client), then containerd, each by PID with SIGTERM and SIGKILL after a grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { TsdError } from '../api/errors.js';
import { writeFileAtomic } from '../lib/atomic-file.js';
import type { EngineLayout } from './engine-layout.js';

export interface SupervisorOptions {
  layout: EngineLayout;
  socketPath: string;
  node: string;
  /** Project root: bin/tsd-containerd and dist/guest/dockerd.mjs are found under it. */
  projectRoot: string;
  /** NODE_COMPILE_CACHE of both daemons (and what they start), as the guest's init sets one. */
  compileCache?: string;
  /** Extra dockerd arguments (e.g. --debug). */
  dockerdArgs?: string[];
  /**
   * A containerd that is already running (e.g. Debian's, for comparison tests): dockerd uses it
   * and the launcher starts and stops no containerd of its own.
   */
  containerdAddress?: string;
  /** Where daemon output goes; default: the launcher's stdout/stderr, prefixed. */
  log?: (line: string) => void;
}

export interface RunningEngine {
  /** Current processes (a restarted daemon is a new process); no containerd when an external one is used. */
  containerd(): ChildProcess | undefined;
  dockerd(): ChildProcess;
  /** Resolves when a daemon keeps exiting (more than MAX_RESTARTS in RESTART_WINDOW_MS) or cannot restart. */
  failed: Promise<{ name: string; code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
/** A daemon that exits on its own is started again, like dockerd restarts its containerd. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

interface Daemon {
  name: 'containerd' | 'dockerd';
  start(): ChildProcess;
  ready(child: ChildProcess): Promise<void>;
}

export async function startEngine(options: SupervisorOptions): Promise<RunningEngine> {
  const { layout } = options;
  await mkdir(layout.logDir, { recursive: true });
  const log = options.log ?? ((line: string) => process.stdout.write(line + '\n'));
  const cacheEnv: Record<string, string> = options.compileCache ? { NODE_COMPILE_CACHE: options.compileCache } : {};
  const containerd: Daemon = {
    name: 'containerd',
    // bin/tsd-containerd is the documented entry; TSD_CONTAINERD_NODE makes it use the chosen Node.
    // TSD_SHIM_NODE does the same for bin/containerd-shim-tsd-v2, which containerd execs: in the
    // guest both run on the image's Node, so the shim here must not fall back to the host's `node`.
    start: () => spawnDaemon('containerd', join(options.projectRoot, 'bin', 'tsd-containerd'), [
      '--address', layout.containerdAddress, '--root', layout.containerdRoot, '--state', layout.containerdState,
    ], layout, log, { TSD_CONTAINERD_NODE: options.node, TSD_SHIM_NODE: options.node, ...cacheEnv }),
    ready: (child) => waitForLine(child, 'ready on', 'tsd-containerd'),
  };
  const dockerd: Daemon = {
    name: 'dockerd',
    start: () => spawnDaemon('dockerd', options.node, [
      join(options.projectRoot, 'dist', 'guest', 'dockerd.mjs'),
      '-H', `unix://${options.socketPath}`,
      '--data-root', layout.dataRoot,
      '--exec-root', layout.execRoot,
      '--containerd', options.containerdAddress ?? layout.containerdAddress,
      '--config-file', layout.daemonJson,
      ...(options.dockerdArgs ?? []),
    ], layout, log, cacheEnv),
    ready: (child) => waitForPing(child, options.socketPath),
  };

  let stopping = false;
  let reportFailure: (failure: { name: string; code: number | null; signal: NodeJS.Signals | null }) => void = () => undefined;
  const failed = new Promise<{ name: string; code: number | null; signal: NodeJS.Signals | null }>((resolve) => (reportFailure = resolve));
  const current = new Map<string, ChildProcess>();
  const restarts = new Map<string, number[]>();

  const launch = async (daemon: Daemon): Promise<void> => {
    const child = daemon.start();
    current.set(daemon.name, child);
    try {
      await daemon.ready(child);
    } catch (error) {
      await stopChild(child);
      throw error;
    }
    // Written once it is ready: a new PID in the file means the daemon is back and serving.
    await writeFileAtomic(join(layout.root, `${daemon.name}.pid`), `${child.pid}\n`);
    child.once('exit', (code, signal) => {
      // Any exit the launcher did not ask for is a restart, like systemd's Restart=always: a crash,
      // or `kill -TERM <dockerd>` to restart dockerd alone (live restore keeps the containers).
      // A terminal's Ctrl-C does not reach the daemons (own process groups), only the launcher.
      if (stopping) return;
      const now = Date.now();
      const recent = (restarts.get(daemon.name) ?? []).filter((t) => now - t < RESTART_WINDOW_MS);
      if (recent.length >= MAX_RESTARTS) {
        reportFailure({ name: daemon.name, code, signal });
        return;
      }
      restarts.set(daemon.name, [...recent, now]);
      log(`[engine] ${daemon.name} exited (${code ?? signal}); starting it again`);
      launch(daemon).catch((error: Error) => reportFailure({ name: `${daemon.name} (restart: ${error.message})`, code, signal }));
    });
  };

  const stop = async (): Promise<void> => {
    stopping = true;
    for (const name of ['dockerd', 'containerd']) {
      const child = current.get(name);
      if (child) await stopChild(child);
      await rm(join(layout.root, `${name}.pid`), { force: true });
    }
  };
  try {
    if (!options.containerdAddress) await launch(containerd);
    await launch(dockerd);
  } catch (error) {
    await stop();
    throw error;
  }
  return { containerd: () => current.get('containerd'), dockerd: () => current.get('dockerd')!, failed, stop };
}

function spawnDaemon(
  name: string, program: string, args: string[], layout: EngineLayout, log: (line: string) => void, env: Record<string, string> = {},
): ChildProcess {
  // Its own process group: a Ctrl-C in the terminal reaches the launcher only, which then stops
  // dockerd before containerd instead of both dying at once.
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: true });
  const file = createWriteStream(join(layout.logDir, `${name}.log`), { flags: 'a' });
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.pipe(file, { end: false });
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) log(`[${name}] ${line}`);
    });
  }
  child.once('exit', () => file.end());
  // The launcher dying must not leave daemons behind.
  const onExit = (): void => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  };
  process.once('exit', onExit);
  child.once('exit', () => process.off('exit', onExit));
  return child;
}

function waitForLine(child: ChildProcess, text: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    let errors = '';
    const timer = setTimeout(() => reject(new TsdError('unavailable', `${what} did not become ready within ${READY_TIMEOUT_MS / 1000} s: ${errors}`)), READY_TIMEOUT_MS);
    child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new TsdError('unavailable', `${what} exited with ${code} before it was ready: ${errors.trim()}`));
    });
  });
}

/** Polls GET /_ping on the socket (every 100 ms) until it answers 200, dockerd exits, or the timeout. */
async function waitForPing(dockerd: ChildProcess, socketPath: string): Promise<void> {
  let errors = '';
  dockerd.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (dockerd.exitCode !== null || dockerd.signalCode !== null) {
      throw new TsdError('unavailable', `dockerd exited with ${dockerd.exitCode ?? dockerd.signalCode} before it answered /_ping: ${errors.trim()}`);
    }
    if ((await ping(socketPath)) === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new TsdError('unavailable', `dockerd did not answer /_ping on ${socketPath} within ${READY_TIMEOUT_MS / 1000} s: ${errors.trim()}`);
}

function ping(socketPath: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.setTimeout(2000, () => req.destroy());
    req.end();
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
