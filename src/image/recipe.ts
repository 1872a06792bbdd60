/**
 * The guest image recipe: what images/<arch>.yaml declares, parsed and validated.
 * Vocabulary: a *recipe* names inputs (packages, versions, file selections); *resolution*
 * (resolve.ts) pins every version; *fetching* downloads into the cache; *assembly* builds the image.
 */
import { parse, YAMLParseError } from 'yaml';
import { TsdError } from '../../guest/api/errors.js';
import type { GuestArch } from './guest-image.js';

export const COMPRESSIONS = ['none', 'lz4', 'gzip', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/**
 * How QEMU boots the kernel: the file Debian ships (vmlinuz), the uncompressed ELF extracted from
 * it (vmlinux: PVH entry on x86_64), or Debian's file gzip-compressed at build time (vmlinuz.gz:
 * for arm64, whose vmlinuz is an uncompressed 33 MB Image; QEMU's arm loader unpacks it on the host).
 */
export const KERNEL_BOOTS = ['vmlinuz', 'vmlinux', 'vmlinuz.gz'] as const;
export type KernelBoot = (typeof KERNEL_BOOTS)[number];

/**
 * Where the guest's files live: all in the initramfs (held in RAM), or on a read-only root disk
 * (squashfs or erofs on virtio-blk) that a small initramfs mounts under a tmpfs overlay.
 */
export const ROOT_FILESYSTEMS = ['initramfs', 'squashfs', 'erofs'] as const;
export type RootFilesystem = (typeof ROOT_FILESYSTEMS)[number];
/**
 * Compressors per root disk filesystem, as the kernel (6.1, Debian's config) can read them; `none`
 * (erofs): the guest reads plain blocks, no decompression under emulation.
 */
export const ROOT_COMPRESSIONS = { squashfs: ['zstd', 'xz', 'lz4', 'gzip'], erofs: ['lz4hc', 'lz4', 'none'] } as const;
/**
 * How the root disk is kept in the image cache: as the guest reads it (`none`), or zstd-compressed
 * (`zstd`: the image's compressed form; the host unpacks it once, digest-checked, at first use).
 */
export const ROOT_STORED = ['none', 'zstd'] as const;
export type RootStored = (typeof ROOT_STORED)[number];
export type RootSpec =
  | { filesystem: 'initramfs' }
  | { filesystem: 'squashfs'; compression: (typeof ROOT_COMPRESSIONS.squashfs)[number]; stored?: RootStored }
  | { filesystem: 'erofs'; compression: (typeof ROOT_COMPRESSIONS.erofs)[number]; stored?: RootStored };

/** A selection of files from a package: a glob over package paths, optionally renamed. */
export interface FileSelection {
  /** Path inside the package (no leading slash); `*` matches within a name, `**` any depth. */
  from: string;
  /** Absolute path in the image for a single file; defaults to `/` + the package path. */
  to?: string;
  /** Join every matching file (in path order) into the one file `to`. */
  concatenate?: boolean;
}

export interface DebPackageSpec {
  package: string;
  files: FileSelection[];
}

export interface NodeSpec {
  package: string;
  version: string;
  integrity: string;
  /** binutils strip for the guest architecture; absent keeps the binary as shipped. */
  strip?: string;
}

export interface NodeModuleSpec {
  package: string;
  /** An exact version, or "lock": the version and integrity recorded in package-lock.json. */
  version: string;
  /** Globs over the package's files (relative to its root). */
  files: string[];
}

export interface Recipe {
  arch: GuestArch;
  debian: { architecture: string };
  /**
   * stripModuleSignatures: drop the signature Debian appends to every module, so the kernel does not
   * hash and RSA-verify each one at load (slow under tcg); unsigned modules load with a taint flag.
   */
  kernel: { metapackage: string; boot: KernelBoot; stripModuleSignatures?: boolean };
  initrd: { compression: Compression };
  /** Default: everything in the initramfs. */
  root: RootSpec;
  packages: DebPackageSpec[];
  node: NodeSpec;
  nodeModules: NodeModuleSpec[];
}

/** Parses and validates a recipe; errors name the file and the key. */
export function parseRecipe(text: string, file: string): Recipe {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? `:${error.linePos[0].line}` : '';
    throw new TsdError('invalid-argument', `${file}${where}: not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  const r = new Reader(file);
  const root = r.object(doc, '');
  r.only(root, '', ['arch', 'debian', 'kernel', 'initrd', 'root', 'packages', 'node', 'nodeModules']);
  const debian = r.object(root.debian, 'debian');
  r.only(debian, 'debian', ['architecture']);
  const kernel = r.object(root.kernel, 'kernel');
  r.only(kernel, 'kernel', ['metapackage', 'boot', 'stripModuleSignatures']);
  const initrd = r.object(root.initrd, 'initrd');
  r.only(initrd, 'initrd', ['compression']);
  const node = r.object(root.node, 'node');
  r.only(node, 'node', ['package', 'version', 'integrity', 'strip']);
  return {
    arch: r.oneOf(root.arch, 'arch', ['x86_64', 'aarch64'] as const),
    debian: { architecture: r.string(debian.architecture, 'debian.architecture') },
    kernel: {
      metapackage: r.string(kernel.metapackage, 'kernel.metapackage'),
      boot: r.oneOf(kernel.boot, 'kernel.boot', KERNEL_BOOTS),
      // absent is false, and left out so that recipes without it keep their input key
      ...(kernel.stripModuleSignatures === undefined ? {} : { stripModuleSignatures: r.boolean(kernel.stripModuleSignatures, 'kernel.stripModuleSignatures') }),
    },
    initrd: { compression: r.oneOf(initrd.compression, 'initrd.compression', COMPRESSIONS) },
    root: rootSpec(r, root.root),
    packages: r.array(root.packages, 'packages').map((item, i) => {
      const key = `packages[${i}]`;
      const p = r.object(item, key);
      r.only(p, key, ['package', 'files']);
      return {
        package: r.string(p.package, `${key}.package`),
        files: r.array(p.files, `${key}.files`).map((f, j) => {
          const fkey = `${key}.files[${j}]`;
          const sel = r.object(f, fkey);
          r.only(sel, fkey, ['from', 'to', 'concatenate']);
          const from = r.relativePath(sel.from, `${fkey}.from`);
          const concatenate = sel.concatenate === undefined ? false : r.boolean(sel.concatenate, `${fkey}.concatenate`);
          if (sel.to === undefined) {
            if (concatenate) r.fail(`${fkey}.to`, 'is required with concatenate');
            return { from };
          }
          const to = r.string(sel.to, `${fkey}.to`);
          if (!to.startsWith('/')) r.fail(`${fkey}.to`, `must be an absolute path in the image, got "${to}"`);
          if (concatenate) return { from, to, concatenate };
          if (from.includes('*')) r.fail(`${fkey}.to`, 'renames one file; "from" must not be a glob (or set concatenate: true)');
          return { from, to };
        }),
      };
    }),
    node: {
      package: r.string(node.package, 'node.package'),
      version: r.exactVersion(node.version, 'node.version'),
      integrity: r.integrity(node.integrity, 'node.integrity'),
      ...(node.strip === undefined ? {} : { strip: r.string(node.strip, 'node.strip') }),
    },
    nodeModules: r.array(root.nodeModules ?? [], 'nodeModules').map((item, i) => {
      const key = `nodeModules[${i}]`;
      const m = r.object(item, key);
      r.only(m, key, ['package', 'version', 'files']);
      const version = r.string(m.version, `${key}.version`);
      return {
        package: r.string(m.package, `${key}.package`),
        version: version === 'lock' ? version : r.exactVersion(version, `${key}.version`),
        files: r.array(m.files, `${key}.files`).map((f, j) => r.relativePath(f, `${key}.files[${j}]`)),
      };
    }),
  };
}

function rootSpec(r: Reader, value: unknown): RootSpec {
  if (value === undefined) return { filesystem: 'initramfs' };
  const spec = r.object(value, 'root');
  const filesystem = r.oneOf(spec.filesystem, 'root.filesystem', ROOT_FILESYSTEMS);
  if (filesystem === 'initramfs') {
    r.only(spec, 'root', ['filesystem']);
    return { filesystem };
  }
  r.only(spec, 'root', ['filesystem', 'compression', 'stored']);
  // absent means `none`, and is left out so that existing recipes keep their input key
  const stored = spec.stored === undefined ? {} : { stored: r.oneOf(spec.stored, 'root.stored', ROOT_STORED) };
  if (filesystem === 'squashfs') return { filesystem, compression: r.oneOf(spec.compression, 'root.compression', ROOT_COMPRESSIONS.squashfs), ...stored };
  return { filesystem, compression: r.oneOf(spec.compression, 'root.compression', ROOT_COMPRESSIONS.erofs), ...stored };
}

/** Small typed accessors that fail with the file and key in the message. */
class Reader {
  constructor(private readonly file: string) {}

  fail(key: string, what: string): never {
    throw new TsdError('invalid-argument', `${this.file}: ${key || 'document'}: ${what}`);
  }

  object(value: unknown, key: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(key, 'must be a mapping');
    return value as Record<string, unknown>;
  }

  only(value: Record<string, unknown>, key: string, allowed: string[]): void {
    for (const name of Object.keys(value)) {
      if (!allowed.includes(name)) {
        this.fail(key ? `${key}.${name}` : name, `unknown key (valid: ${allowed.join(', ')})`);
      }
    }
  }

  array(value: unknown, key: string): unknown[] {
    if (!Array.isArray(value)) this.fail(key, 'must be a list');
    return value;
  }

  string(value: unknown, key: string): string {
    if (typeof value !== 'string' || value === '') this.fail(key, 'must be a non-empty string');
    return value;
  }

  boolean(value: unknown, key: string): boolean {
    if (typeof value !== 'boolean') this.fail(key, 'must be true or false');
    return value;
  }

  oneOf<T extends string>(value: unknown, key: string, valid: readonly T[]): T {
    if (typeof value !== 'string' || !(valid as readonly string[]).includes(value)) {
      this.fail(key, `must be one of ${valid.join(', ')}, got ${JSON.stringify(value)}`);
    }
    return value as T;
  }

  relativePath(value: unknown, key: string): string {
    const path = this.string(value, key);
    if (path.startsWith('/') || path.split('/').includes('..')) {
      this.fail(key, `must be a path inside the package without "..", got "${path}"`);
    }
    return path;
  }

  exactVersion(value: unknown, key: string): string {
    const version = this.string(value, key);
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) this.fail(key, `must be an exact version like 1.2.3, got "${version}"`);
    return version;
  }

  integrity(value: unknown, key: string): string {
    const integrity = this.string(value, key);
    if (!/^sha512-[A-Za-z0-9+/]+=*$/.test(integrity)) this.fail(key, `must be an npm integrity (sha512-…), got "${integrity}"`);
    return integrity;
  }
}
