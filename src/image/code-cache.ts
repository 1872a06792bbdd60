/**
 * V8 code caches made at build time for the guest programs that start before the data disk (where
 * the engine's daemons keep Node's compile cache): today sshd.cjs (guest/lib/prebuilt-cache-boot.ts
 * reads <bundle>.v8 beside itself). The cache is made by the guest's own Node binary, so only when the
 * host can run it: an x86_64 image built on linux/x64. Elsewhere the image carries no cache and the
 * guest compiles, as before; the digest then differs from an image built on linux/x64.
 *
 * Deterministic: the boot compiles with V8's hash and random seeds fixed (--hash-seed, --random-seed;
 * with them unset the same inputs gave a different cache each time), under the bundle's guest path
 * (the script's name is in the cache: compiled under the build directory's path, two checkouts gave two
 * digests), in an environment with nothing but PATH (NODE_OPTIONS would change V8's flags, and the
 * guest would reject the cache).
 */
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { GUEST_TSD_DIR } from '../../guest/api/guest-layout.js';
import type { GuestArch } from './guest-image.js';
import { run } from './run.js';
import type { ImageTree } from './tree.js';

/** Bundles (in dist/guest) run through prebuilt-cache-boot.ts. */
export const PREBUILT_CACHE_BUNDLES: readonly string[] = ['sshd.cjs'];

/** Whether this host can run the guest's Node binary for `arch`. */
export function canRunGuestNode(arch: GuestArch, platform: NodeJS.Platform = process.platform, hostArch: string = process.arch): boolean {
  return arch === 'x86_64' && platform === 'linux' && hostArch === 'x64';
}

/** Makes each bundle's cache in `stageDir` and adds it to the tree beside the bundle; returns the guest paths added. */
export async function addCodeCaches(
  tree: ImageTree,
  options: { arch: GuestArch; nodeBinary: string; bundlesDir: string; stageDir: string },
): Promise<string[]> {
  if (!canRunGuestNode(options.arch)) return [];
  const added: string[] = [];
  for (const bundle of PREBUILT_CACHE_BUNDLES) {
    const source = join(options.bundlesDir, bundle);
    if (!existsSync(source)) continue;
    const out = join(options.stageDir, `${bundle}.v8`);
    // compiled under the guest's path of the bundle: the cache holds the script's name
    await run(options.nodeBinary, ['--hash-seed=1', '--random-seed=1', source], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TSD_WRITE_CODE_CACHE: out, TSD_CODE_CACHE_FILENAME: posix.join(GUEST_TSD_DIR, bundle) },
    });
    const guestPath = posix.join(GUEST_TSD_DIR, `${bundle}.v8`);
    await tree.addHostPath(out, guestPath, 0o644);
    added.push(guestPath);
  }
  return added;
}
