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
import { addCodeCaches } from './code-cache.js';
import { addKernelModules, kernelBootFile, kernelConfig } from './kernel.js';
import { imageDigest, sha256, sha256File, MANIFEST_SCHEMA, type ImageContents, type ImageManifest, type OutputFile } from './manifest.js';
import { findProject, hashDirectory, loadRecipe } from './project.js';
import { checkKernelSupport, makeRootDisk, rootDiskFileName } from './root-disk.js';
import { stage1Tree } from './stage1.js';
import { compressRootDisk, storedFileName, unpackedRootDisk } from './stored-root.js';
import { writeTreeToDirectory } from './tree-dir.js';
import { debPackageNames, parseAptPolicy, resolveRecipe, type ResolvedRecipe } from './resolve.js';

/** Bump when the layout or assembly changes, so cached images are rebuilt. */
export const BUILDER_VERSION = 8;

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
  const stage1Dir = join(project.root, 'images', 'stage1');
  const stage1Sha256 = await hashDirectory(stage1Dir);
  const inputKey = sha256(JSON.stringify({ BUILDER_VERSION, resolved, bundles, artifacts: artifactSums(artifacts), rootfsSha256, stage1Sha256 }));

  const archDir = join(cacheDir, 'images', arch);
  const indexFile = join(archDir, 'inputs', `${inputKey}.json`);
  if (!options.rebuild && existsSync(indexFile)) {
    const { digest } = JSON.parse(await readFile(indexFile, 'utf8')) as { digest: string };
    const manifestPath = join(archDir, digestDirName(digest), 'manifest.json');
    if (existsSync(manifestPath)) return openImage(manifestPath, await readImageManifest(manifestPath));
  }

  onProgress?.(`building the ${arch} guest image (kernel ${resolved.kernel.release}, node ${resolved.node.version})`);
  const local = { bundlesDir, rootfsDir, stage1Dir, bundles, artifacts, rootfsSha256, stage1Sha256, inputKey };
  const built = await buildImage(cacheDir, resolved, apt, local, onProgress);
  await mkdir(join(archDir, 'inputs'), { recursive: true });
  const tmpIndex = tempPathFor(indexFile);
  await writeFile(tmpIndex, JSON.stringify({ digest: built.digest }) + '\n');
  await rename(tmpIndex, indexFile);
  return built;
}

interface LocalInputs {
  bundlesDir: string;
  rootfsDir: string;
  stage1Dir: string;
  bundles: ImageContents['bundles'];
  artifacts: HashedArtifact[];
  rootfsSha256: string;
  stage1Sha256: string;
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
  const config = await kernelConfig(fetched.kernelDir, resolved.kernel.release);
  if (resolved.compression !== 'none') {
    const option = COMPRESSORS[resolved.compression].kernelConfig;
    if (config.get(option) !== 'y') {
      throw new TsdError('unsupported', `${resolved.kernel.package} cannot unpack a ${resolved.compression} initramfs (${option} is not set)`);
    }
  }
  const rootDisk = resolved.root.filesystem === 'initramfs' ? undefined : resolved.root;
  if (rootDisk !== undefined) checkKernelSupport(rootDisk, config, resolved.kernel.package);
  const stage = tempPathFor(join(cacheDir, 'build', resolved.arch));
  await mkdir(join(stage, 'out'), { recursive: true });
  try {
    onProgress?.('assembling the guest file tree');
    const tree = await assembleTree(resolved, { ...fetched.inputs, bundlesDir: local.bundlesDir, rootfsDir: local.rootfsDir, artifacts: local.artifacts });
    await mkdir(join(stage, 'code-cache'));
    await addCodeCaches(tree, { arch: resolved.arch, nodeBinary: fetched.inputs.nodeBinary, bundlesDir: local.bundlesDir, stageDir: join(stage, 'code-cache') });
    const moduleFiles = await addKernelModules(tree, fetched.kernelDir, resolved.kernel, resolved.modules, join(stage, 'modules'));
    const busybox = join(fetched.inputs.debDirs.get('busybox-static') ?? '', 'bin', 'busybox');
    const stage1 =
      rootDisk === undefined
        ? undefined
        : await stage1Tree(rootDisk, {
            busybox,
            busyboxApplets: fetched.inputs.busyboxApplets,
            stage1Dir: local.stage1Dir,
            kernelDir: fetched.kernelDir,
            kernel: resolved.kernel,
            stageDir: join(stage, 'stage1-modules'),
          });
    const contents: ImageContents = {
      schema: MANIFEST_SCHEMA,
      arch: resolved.arch,
      builderVersion: BUILDER_VERSION,
      kernel: { ...fetched.kernelDeb, release: resolved.kernel.release, boot: resolved.kernel.boot, ...kernelHz(config) },
      debs: fetched.debs,
      node: { package: resolved.node.package, version: resolved.node.version, integrity: resolved.node.integrity, stripped: resolved.node.strip !== undefined },
      nodeModules: resolved.nodeModules.map(({ package: name, version, integrity }) => ({ package: name, version, integrity })),
      bundles: local.bundles,
      artifacts: artifactSums(local.artifacts),
      rootfsSha256: local.rootfsSha256,
      modules: { requested: resolved.modules, files: moduleFiles },
      busyboxApplets: fetched.inputs.busyboxApplets.length,
      compression: resolved.compression,
      root: resolved.root,
      ...(stage1 === undefined ? {} : { stage1: { sha256: local.stage1Sha256, modules: stage1.modules } }),
    };
    tree.addData(`${GUEST_TSD_DIR}/manifest.json`, JSON.stringify(contents, null, 2) + '\n');

    let rootDiskFile: OutputFile | undefined;
    let rootDiskUnpacked: OutputFile | undefined;
    let rootDiskRawSize: number | undefined;
    if (rootDisk !== undefined) {
      const rootDir = join(stage, 'root');
      const rootPath = join(stage, 'out', rootDiskFileName(rootDisk));
      onProgress?.(`writing ${rootDiskFileName(rootDisk)} (${rootDisk.compression})`);
      await writeTreeToDirectory(tree, rootDir);
      await makeRootDisk(rootDisk, rootDir, rootPath);
      await rm(rootDir, { recursive: true, force: true });
      rootDiskFile = await outputFile(rootPath);
      rootDiskRawSize = tree.contentSize();
      if (rootDisk.stored === 'zstd') {
        // the plain disk stays in the image directory: it is what unpacking would give
        const storedPath = join(stage, 'out', storedFileName(rootDiskFile.name));
        onProgress?.(`compressing ${rootDiskFile.name} for the cache (zstd)`);
        await compressRootDisk(rootPath, storedPath);
        rootDiskUnpacked = rootDiskFile;
        rootDiskFile = await outputFile(storedPath);
      }
    }
    const initrdName = initrdFileName(resolved.compression);
    const initrdPath = join(stage, 'out', initrdName);
    onProgress?.(`writing ${initrdName}${stage1 ? ' (stage 1)' : ''}`);
    const initrdRawSize = await writeCompressed(cpioStream(stage1?.tree ?? tree), resolved.compression, initrdPath);
    const kernelName = resolved.kernel.boot;
    const kernelPath = join(stage, 'out', kernelName);
    const bootFile = await kernelBootFile(fetched.kernelDir, resolved.kernel, stage);
    await copyFile(bootFile, kernelPath);

    const files = {
      kernel: await outputFile(kernelPath),
      initrd: await outputFile(initrdPath),
      ...(rootDiskFile === undefined ? {} : { rootDisk: rootDiskFile }),
    };
    const digest = imageDigest(files);
    // vmlinux is derived from Debian's compressed bzImage: that is the kernel's compressed form
    const shippedKernel = (await stat(resolved.kernel.boot === 'vmlinux' ? await kernelBootFile(fetched.kernelDir, { ...resolved.kernel, boot: 'vmlinuz' }, stage) : kernelPath)).size;
    const manifest: ImageManifest = {
      ...contents,
      digest,
      inputKey: local.inputKey,
      files,
      compressedSize: shippedKernel + files.initrd.size + (files.rootDisk?.size ?? 0),
      initrdRawSize,
      ...(rootDiskRawSize === undefined ? {} : { rootDiskRawSize }),
      ...(rootDiskUnpacked === undefined ? {} : { rootDiskUnpacked }),
    };
    await writeFile(join(stage, 'out', 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

    const imageDir = join(cacheDir, 'images', resolved.arch, digestDirName(digest));
    if (!existsSync(imageDir)) {
      await produceOnce(imageDir, async (tmp) => rename(join(stage, 'out'), tmp));
    }
    return openImage(join(imageDir, 'manifest.json'), manifest);
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

/**
 * The kernel's arguments for every image. `cryptomgr.notests`: the kernel does not self-test each
 * crypto algorithm as it registers (the CTR-KDF self-test alone pulls hmac(sha256) and its tests in
 * at boot: ~0.1 s of the kernel's 1.4 s under tcg on a quiet host, ~0.3 s of QEMU CPU measured);
 * docs/guest-image.md. Not `quiet`: the console keeps the kernel's messages (the e2e test reads the
 * data disk's clean unmount there), for a gain lost in the noise.
 */
export const KERNEL_ARGS: readonly string[] = ['cryptomgr.notests', 'rdinit=/init'];

/** CONFIG_HZ of the kernel's config, when it is a plain positive number. */
function kernelHz(config: Map<string, string>): { hz?: number } {
  const hz = Number(config.get('CONFIG_HZ'));
  return Number.isInteger(hz) && hz > 0 ? { hz } : {};
}

/** The image as the driver boots it; a root disk stored compressed is unpacked first (stored-root.ts). */
async function openImage(manifestPath: string, manifest: ImageManifest): Promise<GuestImage> {
  const dir = manifestPath.slice(0, manifestPath.lastIndexOf('/'));
  const { rootDisk } = manifest.files;
  const rootDiskPath =
    rootDisk === undefined ? undefined : manifest.rootDiskUnpacked === undefined ? join(dir, rootDisk.name) : await unpackedRootDisk(dir, rootDisk, manifest.rootDiskUnpacked);
  return {
    arch: manifest.arch,
    digest: manifest.digest,
    kernelPath: join(dir, manifest.files.kernel.name),
    initrdPath: join(dir, manifest.files.initrd.name),
    ...(rootDiskPath === undefined ? {} : { rootDiskPath }),
    kernelArgs: [...KERNEL_ARGS],
    ...(manifest.kernel.hz === undefined ? {} : { kernelHz: manifest.kernel.hz }),
    manifestPath,
  };
}
