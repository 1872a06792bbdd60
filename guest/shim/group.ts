/**
 * Which shim process serves a task. Tasks are grouped: every task of one containerd namespace
 * (per containerd address) shares one shim process, unless the container's annotations name a
 * group ("io.containerd.tsd.v2.group", or the runc shim's "io.containerd.runc.v2.group", or the
 * CRI's sandbox id). `io.containerd.tsd.v2.group=container` gives a task its own shim.
 * The socket address is derived like containerd's shims do: /run/containerd/s/<sha256>.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { TsdError } from '../api/errors.js';
import { join } from 'node:path';

export const SOCKET_DIR = '/run/containerd/s';
/** The group shims' own directories (log, lock): not inside any one task's bundle. */
export const GROUP_DIR = '/run/containerd/tsd-shim';

const GROUP_ANNOTATIONS = ['io.containerd.tsd.v2.group', 'io.containerd.runc.v2.group', 'io.kubernetes.cri.sandbox-id'];

export interface ShimGroup {
  key: string;
  hash: string;
  /** unix socket path of the group's ttrpc server */
  socket: string;
  /** the group shim's directory (shim.log) */
  dir: string;
}

export function groupKey(namespace: string, id: string, annotations: Record<string, string>): string {
  for (const name of GROUP_ANNOTATIONS) {
    const value = annotations[name];
    if (value === 'container') return `task/${id}`;
    if (value) return `group/${value}`;
  }
  return `namespace/${namespace}`;
}

export function shimGroup(containerdAddress: string, namespace: string, key: string): ShimGroup {
  const hash = createHash('sha256').update(`${containerdAddress}/${namespace}/tsd/${key}`).digest('hex');
  return { key, hash, socket: join(SOCKET_DIR, hash), dir: join(GROUP_DIR, hash.slice(0, 32)) };
}

/** The annotations of the bundle's config.json (cwd of the start verb). */
export function bundleAnnotations(bundle: string): Record<string, string> {
  try {
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { annotations?: Record<string, string> };
    return spec.annotations ?? {};
  } catch {
    return {};
  }
}

/**
 * Serializes a group's starts and its server's exit: mkdir is atomic, the directory is the lock.
 * A lock older than 60 s is a crashed start's.
 */
export async function withGroupLock(groupDir: string, fn: () => Promise<void>): Promise<void> {
  const path = join(groupDir, 'start.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(groupDir, { recursive: true }); // an exiting shim may just have removed it
      mkdirSync(path);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - statSafe(path);
      if (age > 60_000) rmSync(path, { recursive: true, force: true });
      else if (attempt > 1200) throw new TsdError('unavailable', `shim start lock ${path} is held`);
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    await fn();
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
}

function statSafe(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}
