/**
 * Mounts a container's snapshot on a temporary directory for the engine's own reads and writes
 * (docker cp, export; a start only when a volume takes the image's content or the layers cannot
 * be read exactly, see start-rootfs.ts), like dockerd does, and always unmounts it. Mount descriptions come from containerd; this is the only place that
 * turns them into mounts, with the real mount(8).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TsdError } from '../../../api/errors.js';
import type { MountMessage } from '../../containerd/types.js';

const run = promisify(execFile);

export async function withRootfs<T>(mounts: MountMessage[], tmpRoot: string, work: (rootfs: string) => Promise<T>): Promise<T> {
  const target = await mkdtemp(join(tmpRoot, 'rootfs-'));
  const mounted: string[] = [];
  try {
    for (const m of mounts) {
      const options = m.options.filter((o) => o !== 'rbind' || m.type !== 'bind');
      const args = ['-t', m.type === 'bind' ? 'none' : m.type, ...(m.type === 'bind' ? ['-o', ['bind', ...options].join(',')] : options.length ? ['-o', options.join(',')] : []), m.source, target];
      await run('mount', args).catch((error: Error & { stderr?: string }) => {
        throw new TsdError('internal', `mounting the container rootfs failed: ${error.stderr?.trim() || error.message}`);
      });
      mounted.push(target);
    }
    return await work(target);
  } finally {
    for (const path of mounted.reverse()) await run('umount', [path]).catch(() => run('umount', ['-l', path]).catch(() => undefined));
    await rm(target, { recursive: true, force: true }).catch(() => undefined);
  }
}
