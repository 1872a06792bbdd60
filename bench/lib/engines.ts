/**
 * The two Docker engines the engine benchmark compares, behind one shape: our host-mode engine
 * (`npm run engine`, through test/helpers/host-engine.ts) and Debian's docker.io dockerd (through
 * test/helpers/debian-dockerd.ts) with its defaults — its own managed containerd, runc, iptables
 * and the userland proxy on — except for what keeps it apart from any other engine here: its own
 * socket, data root, exec root, pidfile and a bridge of its own (made here; dockerd wants a
 * non-default bridge to exist). Both use the fixture registry as their docker.io mirror.
 * `stop()` stops the engine by PID and removes what it leaves behind (bridge, nftables table,
 * iptables chains and rules, mounts), returning a note per thing it had to remove.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { networkDefaults } from '../../guest/engine/engine-layout.js';
import { startDebianDockerd } from '../../test/helpers/debian-dockerd.js';
import { DOCKER_CLI, startHostEngine } from '../../test/helpers/host-engine.js';
import { deleteLink, deleteNftTable, nftTablesMentioning, snapshotNetwork, undoSince } from './host-network.js';

export interface BenchEngine {
  name: string;
  /** DOCKER_HOST */
  host: string;
  containerdAddress: string;
  bridge: string;
  /** What carries a published port's traffic from 127.0.0.1 to the container. */
  publishPath: string;
  /** The daemons now (the roots of the engine-side process tree). */
  daemons(): Promise<{ name: string; pid: number }[]>;
  /** A process that supervises the daemons in host mode only (not counted as the engine), if any. */
  launcherPid?: number;
  /** The last lines of the engine's own log, when we have it (for failures). */
  logTail?: (lines: number) => string;
  stop(): Promise<string[]>;
}

export interface Timed {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
  /** Bytes written to stdout (with countStdout: counted, not kept). */
  bytes: number;
}

export interface DockerOptions {
  /** stdout to /dev/null: nothing in this process reads it. */
  discardStdout?: boolean;
  /** Count stdout's bytes without keeping them. */
  countStdout?: boolean;
  timeoutMs?: number;
}

/** Runs the real docker CLI against `engine`, timing it from spawn to exit. */
export function docker(engine: BenchEngine, args: string[], options: DockerOptions = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(DOCKER_CLI, args, {
      env: { ...process.env, DOCKER_HOST: engine.host, DOCKER_CONFIG: CLI_CONFIG },
      stdio: ['ignore', options.discardStdout ? 'ignore' : 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (!options.countStdout) out.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - started, code: code ?? 137, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), bytes });
    });
  });
}

/** Like docker(), but throws with the CLI's stderr on a non-zero exit. */
export async function dockerOk(engine: BenchEngine, args: string[], options: DockerOptions = {}): Promise<Timed> {
  const result = await docker(engine, args, options);
  if (result.code !== 0) throw new Error(`${engine.name}: docker ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  return result;
}

/** The CLI's own config dir (no credentials or contexts of whoever runs the benchmark). */
const CLI_CONFIG = mkdtempSync(join(tmpdir(), 'tsdbench-cli-'));
process.once('exit', () => rmSync(CLI_CONFIG, { recursive: true, force: true }));

export async function startOurEngine(mirror: string): Promise<BenchEngine> {
  const engine = await startHostEngine({ daemonJson: { 'registry-mirrors': [mirror] } });
  const root = join(engine.dir, 'engine');
  const bridge = networkDefaults(root).bridge;
  return {
    name: 'tsd (host mode)',
    host: engine.host,
    containerdAddress: join(root, 'containerd.sock'),
    bridge,
    publishPath: 'nftables DNAT (route_localnet), no proxy process',
    launcherPid: engine.launcher.pid,
    logTail: (lines) => engine.log().trimEnd().split('\n').slice(-lines).join('\n'),
    daemons: async () => [
      { name: 'containerd', pid: await engine.pid('containerd') },
      { name: 'dockerd', pid: await engine.pid('dockerd') },
    ],
    async stop() {
      const notes: string[] = [];
      const { stdout } = await engine.docker('ps', '-aq');
      if (stdout.trim()) await engine.docker('rm', '-f', ...stdout.trim().split('\n'));
      await engine.stop({ keep: true });
      notes.push(...leftMounts(engine.dir)); // before the dir is removed: never rm -r through a mount
      rmSync(engine.dir, { recursive: true, force: true });
      for (const table of nftTablesMentioning(bridge)) {
        deleteNftTable(table);
        notes.push(`nft table ${table} left by our engine`);
      }
      if (deleteLink(bridge)) notes.push(`bridge ${bridge} left by our engine`);
      return notes;
    },
  };
}

export async function startDebianEngine(mirror: string): Promise<BenchEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'tsdbench-dockerd-'));
  const bridge = `tsdbd${randomBytes(3).toString('hex')}`;
  const routes = execFileSync('ip', ['-4', 'route'], { encoding: 'utf8' });
  let subnet = '';
  do subnet = `10.${190 + randomInt(10)}.${randomInt(250)}`; while (routes.includes(`${subnet}.`));
  const before = snapshotNetwork();
  execFileSync('ip', ['link', 'add', bridge, 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
  execFileSync('ip', ['link', 'set', bridge, 'up']);
  const cleanUp = (): string[] => {
    const changes = undoSince(before, bridge);
    const rules = changes.filter((change) => change.includes(': -A '));
    const chains = changes.filter((change) => change.includes(': chain ')).map((change) => change.split(': chain ')[1]);
    const notes = changes.filter((change) => !rules.includes(change) && !change.includes(': chain ')).map((change) => `${change} (removed)`);
    const chainList = chains.length > 0 ? ` and the chains ${chains.join(', ')}` : '';
    if (rules.length + chains.length > 0) notes.unshift(`dockerd left ${rules.length} iptables rules${chainList} after it stopped (removed)`);
    // Another dockerd with iptables on (not ours) made the shared chains first: ours then reused them.
    if (before.iptables.get('filter')?.chains.has('DOCKER')) notes.push('the DOCKER iptables chains existed before this engine started (another engine\'s): left alone, so what this one left in them is not known');
    deleteLink(bridge);
    notes.push(...leftMounts(dir));
    rmSync(dir, { recursive: true, force: true });
    return notes;
  };
  try {
    // --iptables=true overrides the helper's --iptables=false (the last flag wins): as users run it.
    const daemon = await startDebianDockerd({ dir, args: ['--iptables=true', '--bridge', bridge, '--registry-mirror', mirror] });
    return {
      name: "Debian's docker.io",
      host: `unix://${daemon.socket}`,
      containerdAddress: join(dir, 'exec', 'containerd', 'containerd.sock'),
      bridge,
      publishPath: 'docker-proxy (userland proxy, one Go process per port; the default)',
      daemons: async () => {
        const dockerd = Number(readFileSync(join(dir, 'dockerd.pid'), 'utf8').trim());
        // dockerd starts its own containerd as a child (nothing answers on /run/containerd here).
        const children = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(dockerd)], { encoding: 'utf8' });
        const containerd = children.split('\n').map((line) => line.trim().split(/\s+/)).find(([, comm]) => comm === 'containerd');
        if (!containerd) throw new Error(`Debian's dockerd (${dockerd}) has no containerd child`);
        return [{ name: 'dockerd', pid: dockerd }, { name: 'containerd', pid: Number(containerd[0]) }];
      },
      async stop() {
        await daemon.stop();
        return cleanUp();
      },
    };
  } catch (error) {
    cleanUp();
    throw error;
  }
}

/** Unmounts anything still mounted under `dir`; a note per mount. */
function leftMounts(dir: string): string[] {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((line) => line.split(' ')[4] ?? '').filter((point) => point.startsWith(dir));
  for (const point of mounts.reverse()) execFileSync('umount', ['-l', point]);
  return mounts.map((point) => `mount ${point} (unmounted)`);
}
