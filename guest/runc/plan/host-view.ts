/**
 * What the plan builder needs to know about the host, gathered once per invocation so that the
 * builder itself stays pure (unit tests pass a literal HostView).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';

export interface HostView {
  /** Resolves a container path inside the rootfs (symlinks followed within it). */
  resolve(rootfs: string, containerPath: string): string;
  /** Bind sources: a directory gets a directory target, anything else a file target. */
  isDirectory(path: string): boolean;
  /** v1 hierarchies to bind under a "cgroup" mount: name (e.g. "memory") and the container's dir. */
  cgroupV1Mounts: readonly { name: string; hostDir: string }[];
  /** /proc/kcore exists: /dev/core links to it. */
  hasKcore: boolean;
  /** The runtime's own oom_score_adj, inherited by the container unless the spec differs. */
  oomScoreAdj: number;
}

export async function realHostView(cgroupV1Mounts: HostView['cgroupV1Mounts']): Promise<HostView> {
  const { secureJoin } = await import('./secure-join.js');
  return {
    resolve: secureJoin,
    isDirectory: (path) => {
      try {
        return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
      } catch {
        return false;
      }
    },
    cgroupV1Mounts,
    hasKcore: existsSync('/proc/kcore'),
    oomScoreAdj: Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim()),
  };
}
