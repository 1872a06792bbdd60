/**
 * The guest image builder: recipe → resolve → fetch → assemble → archive, with the result
 * content-addressed in the cache: <cache>/images/<arch>/<digest>/{vmlinux|vmlinuz, initrd.img*, manifest.json}.
 * An input key (recipe, resolved versions, local inputs, builder version) maps to the digest,
 * so ensure() rebuilds only when an input changed.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GUEST_TSD_DIR } from '../../guest/api/guest-layout.js';
import { TsdError } from '../../guest/api/errors.js';
import { AptSource } from './apt.js';
import { artifactSums, guestArtifacts, hashArtifacts, type HashedArtifact } from './artifacts.js';
import { guestBundles } from './assemble.js';
import { assembleTree } from './assemble.js';
import { defaultCacheDir, produceOnce, tempPathFor } from './cache.js';
import { initrdFileName, writeCompressed, COMPRESSORS } from './compress.js';
import { cpioStream } from './cpio.js';
import { fetchInputs, guestNodeBinary } from './fetch.js';
import type { GuestArch, GuestImage, GuestImageBuilder } from './guest-image.js';
import { addKernelModules, kernelBootFile, kernelConfig } from './kernel.js';
import { imageDigest, sha256, sha256File, MANIFEST_SCHEMA, type ImageContents, type ImageManifest, type OutputFile } from './manifest.js';
import { findProject, hashDirectory, loadRecipe } from './project.js';
import { debPackageNames, parseAptPolicy, resolveRecipe, type ResolvedRecipe } from './resolve.js';

/** Bump when the layout or assembly changes, so cached images are rebuilt. */
export const BUILDER_VERSION = 3;

export interface ImageBuilderOptions {
  cacheDir?: string;
  /** Where the guest bundles are; default <project>/dist/guest (written by `npm run build`). */
  bundlesDir?: string;
  /** Where the native helpers are (<nativeDir>/<arch>/tsd-runc-helper); default <project>/dist/native. */
  nativeDir?: string;
  /** Assemble again even when the inputs are unchanged (downloads stay cached): checks reproducibility. */
  rebuild?: boolean;
}

export function createImageBuilder(options: ImageBuilderOptions = {}): GuestImageBuilder {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  return { ensure: (arch, ensureOptions) => ensureImage(cacheDir, options, arch, ensureOptions?.onProgress) };
}

/** Path of the guest's node binary in the cache (downloaded if needed): host mode runs on it. */
export async function guestNodePath(arch: GuestArch, options: ImageBuilderOptions = {}): Promise<string> {
  const project = findProject();
  const recipe = await loadRecipe(project, arch);
  return guestNodeBinary(options.cacheDir ?? defaultCacheDir(), recipe.node, undefined);
}

/** Reads the manifest beside a built image (cache hits, `tsd image build --json`). */
export async function readImageManifest(manifestPath: string): Promise<ImageManifest> {
  return JSON.parse(await readFile(manifestPath, 'utf8')) as ImageManifest;
}

async function ensureImage(
  cacheDir: string,
  options: ImageBuilderOptions,
  arch: GuestArch,
  onProgress?: (line: string) => void,
): Promise<GuestImage> {
  const project = findProject();
  const recipe = await loadRecipe(project, arch);
  const apt = new AptSource(cacheDir, recipe.debian.architecture);
  await apt.ensureLists(onProgress);
  const facts = await apt.facts(recipe.kernel.metapackage, debPackageNames(recipe));
  const resolved = resolveRecipe(recipe, {
    kernelMetapackage: facts.show,
    candidates: parseAptPolicy(facts.policy),
    lock: JSON.parse(await readFile(join(project.root, 'package-lock.json'), 'utf8')),
  });
  const bundlesDir = options.bundlesDir ?? join(project.root, 'dist', 'guest');
  const rootfsDir = join(project.root, 'images', 'rootfs');
  const bundles = await Promise.all(
    (await guestBundles(bundlesDir)).map(async (name) => ({ name, sha256: await sha256File(join(bundlesDir, name)) })),
  );
  const artifacts = await hashArtifacts(arch, guestArtifacts(arch, bundlesDir, options.nativeDir ?? join(project.root, 'dist', 'native')));
  const rootfsSha256 = await hashDirectory(rootfsDir);
  const inputKey = sha256(JSON.stringify({ BUILDER_VERSION, resolved, bundles, artifacts: artifactSums(artifacts), rootfsSha256 }));

  const archDir = join(cacheDir, 'images', arch);
  const indexFile = join(archDir, 'inputs', `${inputKey}.json`);
  if (!options.rebuild && existsSync(indexFile)) {
    const { digest } = JSON.parse(await readFile(indexFile, 'utf8')) as { digest: string };
    const manifestPath = join(archDir, digestDirName(digest), 'manifest.json');
    if (existsSync(manifestPath)) return imageFromManifest(manifestPath, await readImageManifest(manifestPath));
  }

  onProgress?.(`building the ${arch} guest image (kernel ${resolved.kernel.release}, node ${resolved.node.version})`);
  const built = await buildImage(cacheDir, resolved, apt, { bundlesDir, rootfsDir, bundles, artifacts, rootfsSha256, inputKey }, onProgress);
  await mkdir(join(archDir, 'inputs'), { recursive: true });
  const tmpIndex = tempPathFor(indexFile);
  await writeFile(tmpIndex, JSON.stringify({ digest: built.digest }) + '\n');
  await rename(tmpIndex, indexFile);
  return built;
}

interface LocalInputs {
  bundlesDir: string;
  rootfsDir: string;
  bundles: ImageContents['bundles'];
  artifacts: HashedArtifact[];
  rootfsSha256: string;
  inputKey: string;
}

async function buildImage(
  cacheDir: string,
  resolved: ResolvedRecipe,
  apt: AptSource,
  local: LocalInputs,
  onProgress?: (line: string) => void,
): Promise<GuestImage> {
  const fetched = await fetchInputs(cacheDir, resolved, apt, onProgress);
  if (resolved.compression !== 'none') {
    const option = COMPRESSORS[resolved.compression].kernelConfig;
    if ((await kernelConfig(fetched.kernelDir, resolved.kernel.release)).get(option) !== 'y') {
      throw new TsdError('unsupported', `${resolved.kernel.package} cannot unpack a ${resolved.compression} initramfs (${option} is not set)`);
    }
  }
  const stage = tempPathFor(join(cacheDir, 'build', resolved.arch));
  await mkdir(join(stage, 'out'), { recursive: true });
  try {
    onProgress?.('assembling the initramfs');
    const tree = await assembleTree(resolved, { ...fetched.inputs, bundlesDir: local.bundlesDir, rootfsDir: local.rootfsDir, artifacts: local.artifacts });
    const moduleFiles = await addKernelModules(tree, fetched.kernelDir, resolved.kernel, resolved.modules, join(stage, 'modules'));
    const contents: ImageContents = {
      schema: MANIFEST_SCHEMA,
      arch: resolved.arch,
      builderVersion: BUILDER_VERSION,
      kernel: { ...fetched.kernelDeb, release: resolved.kernel.release, boot: resolved.kernel.boot },
      debs: fetched.debs,
      node: { package: resolved.node.package, version: resolved.node.version, integrity: resolved.node.integrity, stripped: resolved.node.strip !== undefined },
      nodeModules: resolved.nodeModules.map(({ package: name, version, integrity }) => ({ package: name, version, integrity })),
      bundles: local.bundles,
      artifacts: artifactSums(local.artifacts),
      rootfsSha256: local.rootfsSha256,
      modules: { requested: resolved.modules, files: moduleFiles },
      busyboxApplets: fetched.inputs.busyboxApplets.length,
      compression: resolved.compression,
    };
    tree.addData(`${GUEST_TSD_DIR}/manifest.json`, JSON.stringify(contents, null, 2) + '\n');

    const initrdName = initrdFileName(resolved.compression);
    const initrdPath = join(stage, 'out', initrdName);
    onProgress?.(`writing ${initrdName}`);
    const initrdRawSize = await writeCompressed(cpioStream(tree), resolved.compression, initrdPath);
    const kernelName = resolved.kernel.boot;
    const kernelPath = join(stage, 'out', kernelName);
    const bootFile = await kernelBootFile(fetched.kernelDir, resolved.kernel, stage);
    await copyFile(bootFile, kernelPath);

    const files = { kernel: await outputFile(kernelPath), initrd: await outputFile(initrdPath) };
    const digest = imageDigest(files);
    const manifest: ImageManifest = { ...contents, digest, inputKey: local.inputKey, files, initrdRawSize };
    await writeFile(join(stage, 'out', 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

    const imageDir = join(cacheDir, 'images', resolved.arch, digestDirName(digest));
    if (!existsSync(imageDir)) {
      await produceOnce(imageDir, async (tmp) => rename(join(stage, 'out'), tmp));
    }
    return imageFromManifest(join(imageDir, 'manifest.json'), manifest);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

async function outputFile(path: string): Promise<OutputFile> {
  return { name: path.slice(path.lastIndexOf('/') + 1), size: (await stat(path)).size, sha256: await sha256File(path) };
}

function digestDirName(digest: string): string {
  return digest.replace(/^sha256:/, '');
}

function imageFromManifest(manifestPath: string, manifest: ImageManifest): GuestImage {
  const dir = manifestPath.slice(0, manifestPath.lastIndexOf('/'));
  return {
    arch: manifest.arch,
    digest: manifest.digest,
    kernelPath: join(dir, manifest.files.kernel.name),
    initrdPath: join(dir, manifest.files.initrd.name),
    ...(manifest.files.rootDisk ? { rootDiskPath: join(dir, manifest.files.rootDisk.name) } : {}),
    kernelArgs: ['rdinit=/init'],
    manifestPath,
  };
}
