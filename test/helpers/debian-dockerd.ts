/**
 * A private instance of Debian's real dockerd (package docker.io) for interop tests: its own
 * socket, data root, exec root and pidfile under a directory the test owns, no iptables rules,
 * and Docker Hub unreachable by construction (HTTP(S)_PROXY points at a dead loopback port, so a
 * fallback to the origin can never leave the machine). Stopped by PID; mounts it leaves under
 * its directory are unmounted.
 */
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeBusyboxRootfs } from './busybox-bundle.js';

const run = promisify(execFile);

export interface DebianDockerd {
  /** Path of the daemon's unix socket. */
  readonly socket: string;
  /** Runs the docker CLI against this daemon. */
  docker(args: string[], options?: { timeout?: number }): Promise<{ stdout: string; stderr: string }>;
  /** Imports a busybox rootfs (Debian's busybox-static) as IMAGE, with no registry. */
  importBusybox(image: string): Promise<void>;
  /** Removes its containers, stops the daemon and unmounts what it left under its directory. */
  stop(): Promise<void>;
}

export interface DebianDockerdOptions {
  /** Directory for the daemon's state; the caller creates and removes it. */
  dir: string;
  /** Extra dockerd flags (runtimes, bridge, mirrors, containerd namespaces…). */
  args: string[];
}

export async function startDebianDockerd({ dir, args }: DebianDockerdOptions): Promise<DebianDockerd> {
  const socket = join(dir, 'docker.sock');
  const daemon = spawn(
    'dockerd',
    [
      '--data-root', join(dir, 'data'),
      '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'dockerd.pid'),
      '-H', `unix://${socket}`,
      '--iptables=false',
      '--ip6tables=false',
      ...args,
    ],
    {
      stdio: 'ignore',
      env: { ...process.env, HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost' },
    },
  );
  const exited = new Promise((resolve) => daemon.once('exit', resolve));
  const docker = (cliArgs: string[], options: { timeout?: number } = {}) =>
    run('docker', cliArgs, { env: { ...process.env, DOCKER_HOST: `unix://${socket}` }, timeout: options.timeout ?? 120_000 });

  async function stop(): Promise<void> {
    try {
      const { stdout } = await docker(['ps', '-aq']);
      if (stdout.trim()) await docker(['rm', '-f', ...stdout.trim().split('\n')]);
    } catch {
      // the daemon may be gone already
    }
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGTERM');
    await exited;
    // Shims outlive dockerd by design; any still holding this engine's dirs (a container that
    // `rm -f` missed) were started by this test's daemon: end them by PID before unmounting.
    for (const pid of processesMentioning(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4] ?? '')
      .filter((mountPoint) => mountPoint.startsWith(dir));
    for (const mountPoint of mounts.reverse()) await run('umount', ['-l', mountPoint]).catch(() => undefined);
  }

  for (let attempt = 0; ; attempt++) {
    if (await docker(['version'], { timeout: 5000 }).then(() => true, () => false)) break;
    if (attempt > 300 || daemon.exitCode !== null) {
      await stop();
      throw new Error(`Debian's dockerd did not come up on ${socket}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    socket,
    docker,
    async importBusybox(image: string) {
      const rootfs = join(dir, 'busybox-rootfs');
      makeBusyboxRootfs(rootfs);
      await run('tar', ['-C', rootfs, '-cf', `${rootfs}.tar`, '.']);
      await docker(['import', `${rootfs}.tar`, image]);
    },
    stop,
  };
}

/** PIDs whose command line names a path under `dir` (this engine's shims, its containerd). */
function processesMentioning(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}
