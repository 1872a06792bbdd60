/**
 * The task runtimes the containerd task tests run with: each is the `ctr run` flags that pick it.
 * Debian's containerd-shim-runc-v2 (containerd's own shim) with our tsd-runc and with Debian's
 * runc, each with a runc root inside the daemon's temporary dir; and our shim,
 * bin/containerd-shim-tsd-v2 (runtime io.containerd.tsd.v2, found beside bin/tsd-containerd),
 * with its default runtime, tsd-runc.
 */
import { resolve } from 'node:path';
import type { ContainerdDaemon } from './containerd-daemon.js';

export interface TaskRuntime {
  title: string;
  runtime: string;
  /** Flags for `ctr run`. */
  runArgs(daemon: ContainerdDaemon): string[];
}

export const TASK_RUNTIMES: TaskRuntime[] = [
  {
    title: 'containerd-shim-runc-v2 with tsd-runc',
    runtime: 'io.containerd.runc.v2',
    runArgs: (daemon) => ['--runtime', 'io.containerd.runc.v2', '--runc-binary', resolve('bin/tsd-runc'), '--runc-root', daemon.runcRoot],
  },
  {
    title: 'containerd-shim-runc-v2 with runc',
    runtime: 'io.containerd.runc.v2',
    runArgs: (daemon) => ['--runtime', 'io.containerd.runc.v2', '--runc-binary', '/usr/sbin/runc', '--runc-root', daemon.runcRoot],
  },
  {
    title: 'containerd-shim-tsd-v2',
    runtime: 'io.containerd.tsd.v2',
    runArgs: () => ['--runtime', 'io.containerd.tsd.v2'],
  },
];
