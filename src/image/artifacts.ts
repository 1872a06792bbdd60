/**
 * Guest artifacts that are not bundles: the OCI runtime's static C helper (dist/native/<arch>/,
 * built by guest/native/build.sh) and containerd's .proto files (dist/guest/containerd-proto/,
 * copied by scripts/build-guest.mjs). Both are placed where the guest programs look for them
 * beside their bundle in /opt/tsd (guest/runc/process/helper-path.ts, guest/containerd/api/proto-dir.ts).
 * The runtime's C front end (built beside the helper) goes to /opt/tsd/bin/tsd-runc, which finds
 * /opt/tsd/runc.mjs beside bin/ (guest/native/front.c); /usr/bin/tsd-runc links to it. The shim's C
 * front end goes to /opt/tsd/bin/containerd-shim-tsd-v2: it serves `start` for a live group shim and
 * execs Node on /opt/tsd/shim.mjs otherwise (guest/native/shim-front.c); /usr/bin/containerd-shim-tsd-v2
 * (images/rootfs) runs it.
 */
import { open, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { GUEST_TSD_DIR } from '../../guest/api/guest-layout.js';
import { TsdError } from '../../guest/api/errors.js';
import type { GuestArch } from './guest-image.js';
import { sha256File } from './manifest.js';
import { hashDirectory } from './project.js';

export interface GuestArtifact {
  name: 'runc-helper' | 'containerd-proto' | 'runc-front' | 'shim-front';
  /** On the host: a file (the helper) or a directory (the protos). */
  source: string;
  /** In the image. */
  guestPath: string;
  kind: 'file' | 'directory';
}

/** The artifacts of one architecture, with their sha256s (of the file, or of the directory's paths and contents). */
export type HashedArtifact = GuestArtifact & { sha256: string };

/** ELF e_machine of each architecture: a helper built for the wrong one would not start in the guest. */
const ELF_MACHINE: Record<GuestArch, number> = { x86_64: 62, aarch64: 183 };

export function guestArtifacts(arch: GuestArch, bundlesDir: string, nativeDir: string): GuestArtifact[] {
  return [
    {
      name: 'runc-helper',
      source: join(nativeDir, arch, 'tsd-runc-helper'),
      guestPath: posix.join(GUEST_TSD_DIR, 'native', arch, 'tsd-runc-helper'),
      kind: 'file',
    },
    {
      name: 'containerd-proto',
      source: join(bundlesDir, 'containerd-proto'),
      guestPath: posix.join(GUEST_TSD_DIR, 'containerd-proto'),
      kind: 'directory',
    },
    {
      name: 'runc-front',
      source: join(nativeDir, arch, 'tsd-runc'),
      guestPath: posix.join(GUEST_TSD_DIR, 'bin', 'tsd-runc'),
      kind: 'file',
    },
    {
      name: 'shim-front',
      source: join(nativeDir, arch, 'containerd-shim-tsd-v2'),
      guestPath: posix.join(GUEST_TSD_DIR, 'bin', 'containerd-shim-tsd-v2'),
      kind: 'file',
    },
  ];
}

/** Checks that every artifact exists (and that the helper is an ELF for `arch`) and hashes it. */
export async function hashArtifacts(arch: GuestArch, artifacts: GuestArtifact[]): Promise<HashedArtifact[]> {
  const hashed: HashedArtifact[] = [];
  for (const artifact of artifacts) {
    const found = await stat(artifact.source).catch(() => undefined);
    const ok = artifact.kind === 'file' ? found?.isFile() : found?.isDirectory();
    if (!ok) {
      throw new TsdError('not-found', `${artifact.source} (${artifact.name}) does not exist: run \`npm run build\` first (it builds the guest artifacts)`);
    }
    if (artifact.kind === 'file') await checkElfMachine(artifact.source, arch);
    const sha256 = artifact.kind === 'file' ? await sha256File(artifact.source) : await hashDirectory(artifact.source);
    hashed.push({ ...artifact, sha256 });
  }
  return hashed;
}

/** What the manifest and the input key record of the artifacts: no host paths, so builds anywhere agree. */
export function artifactSums(artifacts: HashedArtifact[]): Array<{ name: string; guestPath: string; sha256: string }> {
  return artifacts.map(({ name, guestPath, sha256 }) => ({ name, guestPath, sha256 }));
}

async function checkElfMachine(path: string, arch: GuestArch): Promise<void> {
  const header = Buffer.alloc(20);
  const file = await open(path, 'r');
  try {
    await file.read(header, 0, 20, 0);
  } finally {
    await file.close();
  }
  // e_ident: 0x7f 'E' 'L' 'F', class (2 = 64-bit), data (1 = little-endian); e_machine at offset 18.
  const isElf64le = header.readUInt32BE(0) === 0x7f454c46 && header[4] === 2 && header[5] === 1;
  if (!isElf64le || header.readUInt16LE(18) !== ELF_MACHINE[arch]) {
    throw new TsdError('invalid-argument', `${path} is not a 64-bit little-endian ${arch} ELF binary: run \`npm run build\` again`);
  }
}
