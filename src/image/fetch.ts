/**
 * Fetching: every input of a resolved recipe downloaded into the cache (once) and unpacked.
 * Returns host paths for assembly; sha256s of the downloads go into the manifest.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../guest/api/errors.js';
import { AptSource } from './apt.js';
import { produceOnce } from './cache.js';
import type { FetchedInputs } from './assemble.js';
import { indexKernelPackage } from './kernel.js';
import type { ComponentDeb } from './manifest.js';
import { sha256File } from './manifest.js';
import { npmUnpack, type NpmPackageRef } from './npm.js';
import { parseAptPolicy, type ResolvedRecipe } from './resolve.js';
import { run } from './run.js';

type Progress = ((line: string) => void) | undefined;

export interface FetchResult {
  inputs: Omit<FetchedInputs, 'bundlesDir' | 'rootfsDir' | 'artifacts'>;
  kernelDir: string;
  kernelDeb: ComponentDeb;
  debs: ComponentDeb[];
}

export async function fetchInputs(cacheDir: string, recipe: ResolvedRecipe, apt: AptSource, onProgress: Progress): Promise<FetchResult> {
  const kernelDir = await apt.extract(recipe.kernel.package, recipe.kernel.version, onProgress, indexKernelPackage);
  const kernelDeb = {
    package: recipe.kernel.package,
    version: recipe.kernel.version,
    sha256: await sha256File(await apt.download(recipe.kernel.package, recipe.kernel.version)),
  };
  const debDirs = new Map<string, string>();
  const debs: ComponentDeb[] = [];
  for (const deb of recipe.debs) {
    debDirs.set(deb.package, await apt.extract(deb.package, deb.version, onProgress));
    debs.push({ package: deb.package, version: deb.version, sha256: await sha256File(await apt.download(deb.package, deb.version)) });
  }
  const nodeBinary = await guestNodeBinary(cacheDir, recipe.node, onProgress);
  const nodeModuleDirs = new Map<string, string>();
  for (const module of recipe.nodeModules) nodeModuleDirs.set(module.package, await npmUnpack(cacheDir, module, onProgress));
  const busyboxApplets = await busyboxAppletList(cacheDir, recipe, debDirs, onProgress);
  return { inputs: { debDirs, nodeBinary, nodeModuleDirs, busyboxApplets }, kernelDir, kernelDeb, debs };
}

/** The node binary as the guest runs it: from the npm package, stripped once into the cache if asked. */
export async function guestNodeBinary(cacheDir: string, node: NpmPackageRef & { strip?: string }, onProgress: Progress): Promise<string> {
  const root = await npmUnpack(cacheDir, node, onProgress);
  const shipped = join(root, 'bin', 'node');
  if (node.strip === undefined) return shipped;
  const dir = join(cacheDir, 'node', `${node.package}-${node.version}-stripped`);
  if (!existsSync(dir)) {
    onProgress?.(`strip: ${node.package}@${node.version}`);
    await produceOnce(dir, async (tmp) => {
      await mkdir(tmp, { recursive: true });
      await run(node.strip!, ['--strip-all', '-o', join(tmp, 'node'), shipped]);
    });
  }
  return join(dir, 'node');
}

/** Debian architecture of this host, for running a host busybox. */
function hostAptArchitecture(): string {
  const map: Partial<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' };
  const arch = map[process.arch];
  if (arch === undefined) throw new TsdError('unsupported', `building guest images on ${process.arch} hosts is not supported`);
  return arch;
}

/**
 * The applets to link to /bin/busybox. busybox lists them itself (`--list-full`); for a foreign
 * guest architecture the host's build of the same Debian busybox answers (same configuration).
 */
async function busyboxAppletList(cacheDir: string, recipe: ResolvedRecipe, debDirs: Map<string, string>, onProgress: Progress): Promise<string[]> {
  const guestDir = debDirs.get('busybox-static');
  if (guestDir === undefined) throw new TsdError('invalid-argument', `the ${recipe.arch} recipe must include busybox-static`);
  let binary = join(guestDir, 'bin', 'busybox');
  const hostArch = hostAptArchitecture();
  if (hostArch !== recipe.aptArchitecture) {
    const host = new AptSource(cacheDir, hostArch);
    await host.ensureLists(onProgress);
    const version = parseAptPolicy(await host.policy(['busybox-static'])).get('busybox-static');
    if (version === undefined) throw new TsdError('not-found', `apt has no busybox-static for ${hostArch}`);
    binary = join(await host.extract('busybox-static', version, onProgress), 'bin', 'busybox');
  }
  const out = await run(binary, ['--list-full']);
  return out.split('\n').map((line) => line.trim()).filter(Boolean).sort();
}
