/**
 * Task bundles, laid out as containerd 1.6's v2 runtime lays them out:
 *   <state>/io.containerd.runtime.v2.task/<ns>/<id>/   the bundle: config.json, rootfs/ (the shim
 *        mounts it), work -> the work dir, log (fifo), address and shim-binary-path (for reload)
 *   <root>/io.containerd.runtime.v2.task/<ns>/<id>/    the work dir, kept on disk
 * The bundle directory is the shim's working directory and is what a restart scans.
 */
import { mkdir, readdir, readFile, rm, rmdir, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../api/errors.js';
import { writeFileAtomic } from '../../lib/atomic-file.js';
import { validateIdentifier } from '../metadata/identifiers.js';
import { isMountPoint, unmountAll } from './mounts.js';

export const RUNTIME_PLUGIN_DIR = 'io.containerd.runtime.v2.task';

export interface TaskBundle {
  id: string;
  namespace: string;
  /** The bundle directory (state side). */
  path: string;
  /** The work directory (root side). */
  workPath: string;
}

export interface BundleRoots {
  /** <state>/io.containerd.runtime.v2.task */
  state: string;
  /** <root>/io.containerd.runtime.v2.task */
  root: string;
}

export function bundleRoots(root: string, state: string): BundleRoots {
  return { state: join(state, RUNTIME_PLUGIN_DIR), root: join(root, RUNTIME_PLUGIN_DIR) };
}

export function bundleFor(roots: BundleRoots, namespace: string, id: string): TaskBundle {
  return { id, namespace, path: join(roots.state, namespace, id), workPath: join(roots.root, namespace, id) };
}

/** Creates the bundle with its config.json; fails with AlreadyExists if the directory exists. */
export async function createBundle(roots: BundleRoots, namespace: string, id: string, spec: Buffer): Promise<TaskBundle> {
  validateIdentifier(id, 'task id');
  const bundle = bundleFor(roots, namespace, id);
  await mkdir(join(roots.state, namespace), { recursive: true, mode: 0o711 });
  try {
    await mkdir(bundle.path, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new TsdError('already-exists', `task ${id}: bundle ${bundle.path}`);
    throw error;
  }
  try {
    await mkdir(join(bundle.path, 'rootfs'), { mode: 0o711 });
    await mkdir(join(roots.root, namespace), { recursive: true, mode: 0o711 });
    await rm(bundle.workPath, { recursive: true, force: true });
    await mkdir(bundle.workPath, { mode: 0o711 });
    await symlink(bundle.workPath, join(bundle.path, 'work'));
    await writeFile(join(bundle.path, 'config.json'), spec, { mode: 0o666 });
  } catch (error) {
    await deleteBundle(bundle).catch(() => undefined);
    throw error;
  }
  return bundle;
}

/** The bundles on disk: every <ns>/<id> directory under the state root (hidden names skipped). */
export async function listBundles(roots: BundleRoots): Promise<TaskBundle[]> {
  const found: TaskBundle[] = [];
  for (const ns of await dirNames(roots.state)) {
    for (const id of await dirNames(join(roots.state, ns))) found.push(bundleFor(roots, ns, id));
  }
  return found;
}

/** The work dirs on disk (root side), as bundles: a work dir can outlive its bundle. */
export async function listWorkDirs(roots: BundleRoots): Promise<TaskBundle[]> {
  const found: TaskBundle[] = [];
  for (const ns of await dirNames(roots.root)) {
    for (const id of await dirNames(join(roots.root, ns))) found.push(bundleFor(roots, ns, id));
  }
  return found;
}

/** The shim's ttrpc address, written by the shim into its working directory. */
export async function readAddress(bundle: TaskBundle): Promise<string> {
  return (await readFile(join(bundle.path, 'address'), 'utf8')).trim();
}

export async function writeShimBinaryPath(bundle: TaskBundle, binary: string): Promise<void> {
  await writeFileAtomic(join(bundle.path, 'shim-binary-path'), binary);
}

export async function readShimBinaryPath(bundle: TaskBundle): Promise<string | undefined> {
  return await readFile(join(bundle.path, 'shim-binary-path'), 'utf8').catch(() => undefined);
}

/**
 * Removes the bundle and its work dir. The rootfs is unmounted first (the shim normally did) and
 * removed with rmdir only: a recursive removal through a still-mounted rootfs would delete the
 * container's files in the snapshot.
 */
export async function deleteBundle(bundle: TaskBundle): Promise<void> {
  const rootfs = join(bundle.path, 'rootfs');
  await unmountAll(rootfs);
  if (await isMountPoint(rootfs)) throw new TsdError('conflict', `task ${bundle.id}: ${rootfs} is still mounted`);
  await rmdir(rootfs).catch(ignoreMissing);
  for (const name of await readdir(bundle.path).catch(() => [] as string[])) {
    await unlink(join(bundle.path, name)).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code === 'EISDIR' || error.code === 'EPERM') await rm(join(bundle.path, name), { recursive: true, force: true });
      else ignoreMissing(error);
    });
  }
  await rmdir(bundle.path).catch(ignoreMissing);
  await rm(bundle.workPath, { recursive: true, force: true });
}

async function dirNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name).sort();
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
