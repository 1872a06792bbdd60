/**
 * `delete`: containerd lost its shim (killed, crashed) and cleans up the bundle: force-delete the
 * container from the runtime, unmount its rootfs, and print a DeleteResponse (protobuf bytes on
 * stdout) saying the task was killed (exit 128+SIGKILL, now), as containerd's own shims do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toTimestamp } from '../containerd/api/timestamps.js';
import { encodeMessage } from '../ttrpc/index.js';
import type { ShimFlags } from './flags.js';
import { Reaper } from './reaper.js';
import { unmountRootfs } from './rootfs.js';
import { RuntimeCli } from './runtime-cli.js';
import { defaultRuntimeBinary, DEFAULT_RUNTIME_ROOT } from './runtime-options.js';
import { log } from './shim-log.js';
import { shimProtos } from './shim-protos.js';
import { BUNDLE_STATE_FILE, type BundleState } from './task-service.js';

export async function deleteVerb(flags: ShimFlags): Promise<Uint8Array> {
  const bundle = flags.bundle || process.cwd();
  let state: BundleState = { binary: defaultRuntimeBinary(), root: join(DEFAULT_RUNTIME_ROOT, flags.namespace) };
  try {
    state = JSON.parse(readFileSync(join(bundle, BUNDLE_STATE_FILE), 'utf8')) as BundleState;
  } catch {
    // no Create ever completed here: the defaults are what it would have used
  }
  const runtime = new RuntimeCli({ binary: state.binary, root: state.root, bundle }, new Reaper());
  try {
    await runtime.run(['delete', '--force', flags.id]);
  } catch (error) {
    log('warn', 'runtime delete failed', { id: flags.id, error: (error as Error).message });
  }
  try {
    unmountRootfs(bundle);
  } catch (error) {
    log('warn', 'rootfs unmount failed', { id: flags.id, error: (error as Error).message });
  }
  let pid = 0;
  try {
    pid = Number(readFileSync(join(bundle, 'init.pid'), 'utf8').trim()) || 0;
  } catch {
    // never created
  }
  const SIGKILL = 9;
  return encodeMessage(shimProtos().lookupType('containerd.task.v2.DeleteResponse'), { pid, exitStatus: 128 + SIGKILL, exitedAt: toTimestamp(new Date()) });
}
