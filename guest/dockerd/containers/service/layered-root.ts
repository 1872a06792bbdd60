/**
 * A container's root filesystem read straight from its snapshot's layer directories, without
 * mounting it: the mounts containerd returns for the snapshot describe an overlay (upperdir, then
 * lowerdirs nearest first) or a bind of one directory. A path is looked up as overlayfs would:
 * the topmost layer holding a name wins, a whiteout (char device 0:0, or an empty file marked
 * `trusted.overlay.whiteout`) hides it in the layers below, directories merge down the layers
 * until an opaque one (`trusted.overlay.opaque=y`) or a non-directory, and every symlink is
 * resolved inside the container's root (absolute targets restart at the root, `..` stops there),
 * so nothing read or written here lies outside the layers.
 *
 * Where the layers alone cannot give the merged view exactly, `NotExact` is thrown and the caller
 * mounts the rootfs instead: overlay options we do not model (redirect_dir, metacopy, userxattr…),
 * a directory renamed under redirect_dir (`trusted.overlay.redirect`), a metacopy-only file, and
 * creating a directory where the upper layer has a whiteout (overlayfs makes it opaque).
 */
import { chmod, chown, lstat, mkdir, readFile, readlink, utimes } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { TsdError } from '../../../api/errors.js';
import { lgetxattr } from '../../../containerd/diff/libc.js';
import type { MountMessage } from '../../containerd/types.js';

export class NotExact extends Error {}

export interface LayerStack {
  /** Layer directories, topmost first (the upper one first when writable). */
  layers: string[];
  /** The writable layer (layers[0]), when there is one. */
  upper?: string;
  /** Overlay semantics (whiteouts, opaque directories) apply; a single bind is read as it is. */
  overlay: boolean;
}

/** Options of our overlay snapshotter's mounts; any other changes what the merged view shows. */
const KNOWN_OVERLAY_OPTIONS = /^(workdir|upperdir|lowerdir)=|^(index=off|ro|rw)$/;

/** The layers behind a snapshot's mounts, or undefined when they are not one overlay or bind. */
export function layerStack(mounts: readonly MountMessage[]): LayerStack | undefined {
  if (mounts.length !== 1) return undefined;
  const [m] = mounts as [MountMessage];
  if (m.type === 'bind') {
    if (m.options.some((o) => !['rbind', 'bind', 'ro', 'rw'].includes(o))) return undefined;
    return { layers: [m.source], upper: m.options.includes('ro') ? undefined : m.source, overlay: false };
  }
  if (m.type !== 'overlay' || m.options.some((o) => !KNOWN_OVERLAY_OPTIONS.test(o))) return undefined;
  const option = (name: string): string | undefined => m.options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
  const upper = option('upperdir');
  const lowers = (option('lowerdir') ?? '').split(':').filter(Boolean);
  if (lowers.length === 0) return undefined;
  return { layers: upper ? [upper, ...lowers] : lowers, upper, overlay: true };
}

interface Entry {
  /** Index of the topmost layer holding the name. */
  layer: number;
  info: Stats;
  /** Layers, topmost first, whose directory at this path shows in the merged view. */
  dirLayers: number[];
}

interface Resolved {
  parts: string[];
  /** entries[i] is the entry of parts[0..i]; undefined where the name does not exist. */
  entries: Array<Entry | undefined>;
}

const MAX_LINKS = 40;

async function xattr(path: string, name: string): Promise<string | undefined> {
  return (await lgetxattr(path, name).catch(() => undefined))?.toString();
}

async function isWhiteout(path: string, info: Stats): Promise<boolean> {
  if (info.isCharacterDevice()) return info.rdev === 0;
  return info.isFile() && info.size === 0 && (await xattr(path, 'trusted.overlay.whiteout')) !== undefined;
}

export class LayeredRoot {
  readonly #root: Entry;

  private constructor(readonly stack: LayerStack, root: Entry) {
    this.#root = root;
  }

  static async open(stack: LayerStack): Promise<LayeredRoot> {
    const dirLayers: number[] = [];
    let info: Stats | undefined;
    for (const [index, layer] of stack.layers.entries()) {
      const layerInfo = await lstat(layer);
      info ??= layerInfo;
      dirLayers.push(index);
      if (stack.overlay && (await xattr(layer, 'trusted.overlay.opaque')) === 'y') break;
    }
    if (!info) throw new TsdError('internal', 'a snapshot without layers');
    return new LayeredRoot(stack, { layer: 0, info, dirLayers });
  }

  /** The name `parts` in the merged view, given its parent's entry. */
  async #entry(parent: Entry | undefined, parts: string[]): Promise<Entry | undefined> {
    if (!parent?.info.isDirectory()) return undefined;
    let top: Entry | undefined;
    for (const layer of parent.dirLayers) {
      const host = join(this.stack.layers[layer]!, ...parts);
      const info = await lstat(host).catch(() => undefined);
      if (!info) continue;
      if (this.stack.overlay && (await isWhiteout(host, info))) break;
      if (!top) {
        top = { layer, info, dirLayers: [] };
        if (this.stack.overlay && info.isFile() && (await xattr(host, 'trusted.overlay.metacopy')) !== undefined) throw new NotExact(`${host} is a metacopy`);
      }
      // A non-directory hides every layer below it; so does one under the top directory.
      if (!top.info.isDirectory() || !info.isDirectory()) break;
      top.dirLayers.push(layer);
      if (!this.stack.overlay) break;
      if ((await xattr(host, 'trusted.overlay.redirect')) !== undefined) throw new NotExact(`${host} was renamed (redirect_dir)`);
      if ((await xattr(host, 'trusted.overlay.opaque')) === 'y') break;
    }
    return top;
  }

  /** Resolves `path` as the container would see it; missing names are kept as written. */
  async resolve(path: string, followLast = true): Promise<Resolved> {
    let pending = path.split('/').filter((p) => p !== '' && p !== '.');
    const parts: string[] = [];
    const entries: Array<Entry | undefined> = [];
    let links = 0;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '..') {
        parts.pop();
        entries.pop();
        continue;
      }
      const parent = entries.length === 0 ? this.#root : entries[entries.length - 1];
      const entry = await this.#entry(parent, [...parts, part]);
      if (entry?.info.isSymbolicLink() && (followLast || pending.length > 0)) {
        if (++links > MAX_LINKS) throw new TsdError('invalid-argument', `too many levels of symbolic links: ${path}`);
        const target = await readlink(join(this.stack.layers[entry.layer]!, ...parts, part));
        if (target.startsWith('/')) {
          parts.length = 0;
          entries.length = 0;
        }
        pending = [...target.split('/').filter((p) => p !== '' && p !== '.'), ...pending];
        continue;
      }
      parts.push(part);
      entries.push(entry);
    }
    return { parts, entries };
  }

  /** The entry at `path` (links followed), or undefined when it does not exist. */
  async stat(path: string): Promise<Stats | undefined> {
    const { entries } = await this.resolve(path);
    return entries.length === 0 ? this.#root.info : entries[entries.length - 1]?.info;
  }

  /** A regular file's content; '' when it is missing or not a file (as Docker reads /etc/passwd). */
  async readText(path: string): Promise<string> {
    const { parts, entries } = await this.resolve(path);
    const entry = entries[entries.length - 1];
    if (!entry?.info.isFile()) return '';
    return await readFile(join(this.stack.layers[entry.layer]!, ...parts), 'utf8').catch(() => '');
  }

  /**
   * Docker's MkdirAllAndChownNew in the upper layer: directories that exist keep their owner and
   * mode (a lower layer's are copied up with their metadata, as overlayfs would on a write under
   * them), missing ones are created with `mode` and owned by uid:gid.
   */
  async makeDirectories(path: string, mode: number, uid: number, gid: number): Promise<void> {
    const upper = this.stack.upper;
    if (!upper || this.stack.layers[0] !== upper) throw new NotExact('the snapshot has no writable layer');
    const { parts, entries } = await this.resolve(path);
    for (let i = 0; i < parts.length; i++) {
      const host = join(upper, ...parts.slice(0, i + 1));
      const entry = entries[i];
      if (entry && !entry.info.isDirectory()) throw new TsdError('invalid-argument', `Cannot mkdir: ${path} is not a directory`);
      if (entry?.layer === 0) continue;
      const inUpper = await lstat(host).catch(() => undefined);
      if (inUpper) throw new NotExact(`${host} is a whiteout in the upper layer`);
      await mkdir(host);
      if (entry) {
        await chown(host, entry.info.uid, entry.info.gid);
        await chmod(host, entry.info.mode & 0o7777);
        await utimes(host, entry.info.atime, entry.info.mtime);
      } else {
        await chown(host, uid, gid);
        await chmod(host, mode);
      }
      entries[i] = { layer: 0, info: await lstat(host), dirLayers: [0] };
    }
  }
}
