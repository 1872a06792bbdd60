/**
 * An OCI bundle with a busybox rootfs, for runtime tests: Debian's busybox-static (/bin/busybox)
 * with its applets as symlinks, a minimal /etc, and the `runc spec` defaults (guest/runc/spec/
 * default-spec.ts) adjusted for non-interactive tests (no terminal, the given args).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spec } from '../../guest/api/oci-runtime-spec.js';
import { defaultSpec } from '../../guest/runc/spec/default-spec.js';

export const BUSYBOX = '/bin/busybox';

export interface BusyboxBundle {
  /** The bundle directory (config.json + rootfs/). */
  dir: string;
  rootfs: string;
  spec: Spec;
  /** Writes `spec` (after changes) to config.json. */
  save(): void;
  remove(): void;
}

let applets: string[] | undefined;

/** Creates a busybox rootfs at `rootfs` (which must not exist yet). */
export function makeBusyboxRootfs(rootfs: string): void {
  applets ??= execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const dir of ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'root', 'var/www']) mkdirSync(join(rootfs, dir), { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, 'bin/busybox'));
  for (const applet of applets) if (applet !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', applet));
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n');
  writeFileSync(join(rootfs, 'etc/hosts'), '127.0.0.1 localhost\n');
}

export function makeBusyboxBundle(args: string[] = ['sh'], change?: (spec: Spec) => void): BusyboxBundle {
  const dir = mkdtempSync(join(tmpdir(), 'tsdtest-bundle-'));
  const rootfs = join(dir, 'rootfs');
  makeBusyboxRootfs(rootfs);
  const spec = defaultSpec();
  spec.process!.terminal = false;
  spec.process!.args = args;
  change?.(spec);
  const bundle: BusyboxBundle = {
    dir,
    rootfs,
    spec,
    save: () => writeFileSync(join(dir, 'config.json'), JSON.stringify(bundle.spec, null, 2)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  bundle.save();
  return bundle;
}
