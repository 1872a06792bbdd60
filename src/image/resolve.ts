/**
 * Resolution: a recipe plus facts gathered from apt and package-lock.json become a fully pinned
 * plan (every package with an exact version). Pure: the facts come in as text/JSON, so this is
 * unit tested without apt or npm; apt.ts and builder.ts gather them.
 */
import { GUEST_KERNEL_MODULES } from '../../guest/api/kernel-modules.js';
import { TsdError } from '../../guest/api/errors.js';
import type { GuestArch } from './guest-image.js';
import type { Compression, FileSelection, KernelBoot, Recipe, RootSpec } from './recipe.js';

export interface ResolvedDeb {
  package: string;
  version: string;
  files: FileSelection[];
}

export interface ResolvedNpm {
  package: string;
  version: string;
  integrity: string;
  files: string[];
}

export interface ResolvedKernel {
  package: string;
  version: string;
  /** `uname -r` of the kernel, e.g. 6.1.0-56-amd64: the directory under /lib/modules. */
  release: string;
  boot: KernelBoot;
  /** Drop the modules' appended signatures (recipe kernel.stripModuleSignatures). */
  stripModuleSignatures?: boolean;
}

export interface ResolvedRecipe {
  arch: GuestArch;
  aptArchitecture: string;
  kernel: ResolvedKernel;
  compression: Compression;
  root: RootSpec;
  debs: ResolvedDeb[];
  node: ResolvedNpm & { strip?: string };
  nodeModules: ResolvedNpm[];
  /** Kernel modules to include (with their dependencies): guest/api/kernel-modules.ts. */
  modules: string[];
}

/** What apt and the lock file say, as gathered by the builder. */
export interface ResolutionFacts {
  /** `apt-cache show --no-all-versions <kernel metapackage>` output. */
  kernelMetapackage: string;
  /** Candidate version of each Debian package the recipe names (see parseAptPolicy). */
  candidates: Map<string, string>;
  /** The project's package-lock.json, parsed. */
  lock: unknown;
}

/** The Debian packages whose candidate versions resolution needs (the kernel comes separately). */
export function debPackageNames(recipe: Recipe): string[] {
  return recipe.packages.map((p) => p.package);
}

export function resolveRecipe(recipe: Recipe, facts: ResolutionFacts): ResolvedRecipe {
  const kernel = parseKernelMetapackage(facts.kernelMetapackage, recipe.kernel.metapackage);
  return {
    arch: recipe.arch,
    aptArchitecture: recipe.debian.architecture,
    kernel: { ...kernel, boot: recipe.kernel.boot, ...(recipe.kernel.stripModuleSignatures ? { stripModuleSignatures: true } : {}) },
    compression: recipe.initrd.compression,
    root: recipe.root,
    debs: recipe.packages.map((p) => {
      const version = facts.candidates.get(p.package);
      if (version === undefined) {
        throw new TsdError('not-found', `apt has no candidate version of ${p.package} for ${recipe.debian.architecture}`);
      }
      return { package: p.package, version, files: p.files };
    }),
    node: {
      package: recipe.node.package,
      version: recipe.node.version,
      integrity: recipe.node.integrity,
      files: ['bin/node'],
      ...(recipe.node.strip === undefined ? {} : { strip: recipe.node.strip }),
    },
    nodeModules: recipe.nodeModules.map((m) => {
      if (m.version !== 'lock') {
        throw new TsdError('invalid-argument', `nodeModules ${m.package}: only "lock" versions are supported (pin it in package.json)`);
      }
      const locked = lockedPackage(facts.lock, m.package);
      return { package: m.package, version: locked.version, integrity: locked.integrity, files: m.files };
    }),
    modules: [...GUEST_KERNEL_MODULES],
  };
}

/**
 * Reads the versioned kernel package out of the metapackage's Depends, e.g.
 * `Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2)` → package, version and release.
 */
export function parseKernelMetapackage(showText: string, metapackage: string): Omit<ResolvedKernel, 'boot'> {
  const depends = /^Depends:\s*(.+)$/m.exec(showText)?.[1];
  const match = depends === undefined ? null : /(linux-image-([\w.+-]+?)(?:-unsigned)?)\s*\(=\s*([^)\s]+)\)/.exec(depends);
  if (match === null) {
    throw new TsdError('not-found', `cannot find the kernel package in the dependencies of ${metapackage} (apt-cache show)`);
  }
  return { package: match[1]!, release: match[2]!, version: match[3]! };
}

/** Parses `apt-cache policy P…` into package → candidate version (packages without one are left out). */
export function parseAptPolicy(text: string): Map<string, string> {
  const candidates = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const header = /^(\S+?)(?::[\w-]+)?:$/.exec(line);
    if (header) {
      current = header[1];
      continue;
    }
    const candidate = /^\s+Candidate:\s*(\S+)/.exec(line);
    if (candidate && current !== undefined && candidate[1] !== '(none)') candidates.set(current, candidate[1]!);
  }
  return candidates;
}

/** Version and integrity of a package as package-lock.json (lockfile v2/v3) records it. */
export function lockedPackage(lock: unknown, name: string): { version: string; integrity: string } {
  const packages = (lock as { packages?: Record<string, { version?: string; integrity?: string }> } | null)?.packages;
  const entry = packages?.[`node_modules/${name}`];
  if (entry?.version === undefined || entry.integrity === undefined) {
    throw new TsdError('not-found', `package-lock.json has no version and integrity for ${name}; run npm install`);
  }
  return { version: entry.version, integrity: entry.integrity };
}
