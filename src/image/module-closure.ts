/**
 * Which kernel modules the image needs: the requested ones, what they depend on (modules.dep),
 * and their soft dependencies (modules.softdep, resolved through modules.alias: ext4 wants
 * "crypto-crc32c", which several modules provide). Pure: text in, module paths out.
 */
import { TsdError } from '../../guest/api/errors.js';

/** Module name as modprobe normalises it: file name without .ko[.xz|.zst], dashes as underscores. */
export function moduleName(path: string): string {
  const file = path.slice(path.lastIndexOf('/') + 1);
  return file.replace(/\.ko(\.\w+)?$/, '').replace(/-/g, '_');
}

export interface ModuleIndex {
  /** module name → its path (relative to /lib/modules/<release>) */
  paths: Map<string, string>;
  /** module path → paths of its hard dependencies */
  deps: Map<string, string[]>;
  /** module name → names or aliases it wants loaded first or after */
  softdeps: Map<string, string[]>;
  /** alias → module names providing it */
  aliases: Map<string, string[]>;
  /** names of modules built into the kernel */
  builtin: Set<string>;
}

export interface ModuleIndexText {
  dep: string;
  softdep?: string;
  alias?: string;
  builtin?: string;
}

export function parseModuleIndex(text: ModuleIndexText): ModuleIndex {
  const index: ModuleIndex = { paths: new Map(), deps: new Map(), softdeps: new Map(), aliases: new Map(), builtin: new Set() };
  for (const line of lines(text.dep)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    index.paths.set(moduleName(path), path);
    index.deps.set(path, line.slice(colon + 1).trim().split(/\s+/).filter(Boolean));
  }
  for (const line of lines(text.softdep ?? '')) {
    // softdep MODULE pre: A B post: C
    const [keyword, module, ...rest] = line.split(/\s+/);
    if (keyword !== 'softdep' || module === undefined) continue;
    const wanted = rest.filter((word) => word !== 'pre:' && word !== 'post:');
    const name = module.replace(/-/g, '_');
    index.softdeps.set(name, [...(index.softdeps.get(name) ?? []), ...wanted]);
  }
  for (const line of lines(text.alias ?? '')) {
    const [keyword, alias, module] = line.split(/\s+/);
    if (keyword !== 'alias' || alias === undefined || module === undefined) continue;
    index.aliases.set(alias, [...(index.aliases.get(alias) ?? []), module.replace(/-/g, '_')]);
  }
  for (const line of lines(text.builtin ?? '')) index.builtin.add(moduleName(line));
  return index;
}

function lines(text: string): string[] {
  return text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * The module files (paths relative to the release directory, sorted) needed to modprobe every
 * requested module. Built-in modules need no file. An unknown name is an error: the list in
 * guest/api/kernel-modules.ts must match the kernel.
 */
export function moduleClosure(requested: readonly string[], index: ModuleIndex): string[] {
  const result = new Set<string>();
  const seenNames = new Set<string>();
  const visitName = (name: string, optional: boolean): void => {
    const normal = name.replace(/-/g, '_');
    if (seenNames.has(normal)) return;
    seenNames.add(normal);
    if (index.builtin.has(normal)) return;
    const path = index.paths.get(normal);
    if (path !== undefined) {
      visitPath(path);
    } else {
      const providers = index.aliases.get(name) ?? [];
      if (providers.length === 0 && !optional) {
        throw new TsdError('not-found', `kernel module ${name} is neither a module of this kernel nor built in`);
      }
      for (const provider of providers) visitName(provider, true);
    }
    for (const soft of index.softdeps.get(normal) ?? []) visitName(soft, true);
  };
  const visitPath = (path: string): void => {
    if (result.has(path)) return;
    result.add(path);
    for (const dep of index.deps.get(path) ?? []) {
      visitPath(dep);
      for (const soft of index.softdeps.get(moduleName(dep)) ?? []) visitName(soft, true);
    }
  };
  for (const name of requested) visitName(name, false);
  return [...result].sort();
}
