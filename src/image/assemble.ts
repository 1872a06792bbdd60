/**
 * Assembly: lays the fetched inputs out as the guest's file tree (the initramfs contents).
 * Layout facts come from guest/api/guest-layout.ts; everything here is placement, no downloads.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { GUEST_NODE_PATH, GUEST_TSD_DIR } from '../../guest/api/guest-layout.js';
import { TsdError } from '../../guest/api/errors.js';
import type { GuestArtifact } from './artifacts.js';
import { selectFiles } from './glob.js';
import type { ResolvedRecipe } from './resolve.js';
import { ImageTree } from './tree.js';

/** Inputs on the host, fetched and unpacked by the builder. */
export interface FetchedInputs {
  /** Extracted Debian package per package name. */
  debDirs: Map<string, string>;
  /** The guest's node binary (stripped when the recipe says so). */
  nodeBinary: string;
  /** Package root directory per npm package of recipe.nodeModules. */
  nodeModuleDirs: Map<string, string>;
  /** Applet paths of the guest's busybox (`busybox --list-full`, relative: bin/sh, sbin/modprobe…). */
  busyboxApplets: string[];
  /** dist/guest: the bundled guest programs (*.mjs, and tsd-runc's runc.cjs). */
  bundlesDir: string;
  /** images/rootfs: files copied as they are (/init, /etc/passwd…). */
  rootfsDir: string;
  /** The runc helper and containerd's protos (artifacts.ts), checked and hashed by the builder. */
  artifacts: GuestArtifact[];
}

/** Guest bundles that must exist: the image boots nothing without the init. */
export const REQUIRED_BUNDLES = ['init.mjs'];
/** Directories the init expects to exist before it mounts anything. */
const EMPTY_DIRECTORIES = ['/dev', '/proc', '/sys', '/run', '/tmp', '/mnt', '/root', '/var/lib', '/var/log', '/etc/ssl/certs'];

export async function guestBundles(bundlesDir: string): Promise<string[]> {
  const names = await readdir(bundlesDir).catch(() => [] as string[]);
  // .cjs: tsd-runc's code-cached entry (runc.cjs, guest/runc/boot.ts), which its front end prefers to runc.mjs.
  const bundles = names.filter((name) => name.endsWith('.mjs') || name.endsWith('.cjs')).sort();
  const missing = REQUIRED_BUNDLES.filter((name) => !bundles.includes(name));
  if (missing.length > 0) {
    throw new TsdError('not-found', `${join(bundlesDir, missing[0]!)} does not exist: run \`npm run build\` first (it bundles the guest programs)`);
  }
  return bundles;
}

export async function assembleTree(recipe: ResolvedRecipe, inputs: FetchedInputs): Promise<ImageTree> {
  const tree = new ImageTree();
  for (const dir of EMPTY_DIRECTORIES) tree.add(dir, { kind: 'directory', mode: dir === '/tmp' ? 0o1777 : 0o755 });
  tree.add('/dev/console', { kind: 'chardev', mode: 0o600, major: 5, minor: 1 });

  await tree.addHostDirectory(inputs.rootfsDir, '/');
  for (const deb of recipe.debs) {
    const root = inputs.debDirs.get(deb.package);
    if (root === undefined) throw new TsdError('internal', `package ${deb.package} was not fetched`);
    for (const selection of deb.files) {
      const paths = await selectFiles(root, selection.from);
      if (paths.length === 0) throw new TsdError('not-found', `${deb.package} ${deb.version} has no file matching ${selection.from}`);
      if (selection.concatenate && selection.to !== undefined) {
        tree.addData(selection.to, await concatenate(root, paths));
        continue;
      }
      for (const path of paths) await tree.addHostPath(join(root, path), selection.to ?? `/${path}`);
    }
  }
  if (tree.get('/sbin/mke2fs') !== undefined) tree.addSymlink('/sbin/mkfs.ext4', 'mke2fs');

  await tree.addHostPath(inputs.nodeBinary, GUEST_NODE_PATH, 0o755);
  for (const module of recipe.nodeModules) {
    const root = inputs.nodeModuleDirs.get(module.package);
    if (root === undefined) throw new TsdError('internal', `npm package ${module.package} was not fetched`);
    for (const pattern of module.files) {
      const paths = await selectFiles(root, pattern);
      if (paths.length === 0) throw new TsdError('not-found', `${module.package}@${module.version} has no file matching ${pattern}`);
      for (const path of paths) {
        await tree.addHostPath(join(root, path), posix.join(GUEST_TSD_DIR, 'node_modules', module.package, path));
      }
    }
  }
  for (const bundle of await guestBundles(inputs.bundlesDir)) {
    await tree.addHostPath(join(inputs.bundlesDir, bundle), posix.join(GUEST_TSD_DIR, bundle), 0o644);
  }
  for (const artifact of inputs.artifacts) {
    if (artifact.kind === 'file') await tree.addHostPath(artifact.source, artifact.guestPath, 0o755);
    else await tree.addHostDirectory(artifact.source, artifact.guestPath);
  }

  // busybox applets last: a real program (mke2fs, the rootfs' /init) wins over an applet.
  for (const applet of inputs.busyboxApplets) {
    const path = `/${applet}`;
    if (path === '/bin/busybox' || tree.get(path) !== undefined) continue;
    tree.addSymlink(path, '/bin/busybox');
  }
  return tree;
}

/** Files joined in order, each ending with a newline (as update-ca-certificates joins PEM files). */
async function concatenate(root: string, paths: string[]): Promise<Buffer> {
  const parts = await Promise.all(paths.map((path) => readFile(join(root, path), 'utf8')));
  return Buffer.from(parts.map((text) => (text.endsWith('\n') ? text : `${text}\n`)).join(''));
}
