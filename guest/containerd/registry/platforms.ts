/**
 * Platforms as containerd normalises and matches them: `aarch64` is `arm64` and its default
 * variant `v8` is the same as none; `x86_64` is `amd64`; `arm` defaults to `v7`, and a v7 host
 * also runs v6 and v5 images.
 */
import { TsdError } from '../../api/errors.js';
import type { Descriptor, Platform } from '../../api/oci-image-spec.js';
import type { PlatformSpec } from './types.js';

export function normalizePlatform(platform: PlatformSpec): Required<Pick<PlatformSpec, 'os' | 'architecture'>> & { variant: string } {
  const os = platform.os.toLowerCase();
  let architecture = platform.architecture.toLowerCase();
  let variant = (platform.variant ?? '').toLowerCase();
  switch (architecture) {
    case 'i386': architecture = '386'; variant = ''; break;
    case 'x86_64': case 'x86-64': case 'amd64': architecture = 'amd64'; if (variant === 'v1') variant = ''; break;
    case 'aarch64': case 'arm64': architecture = 'arm64'; if (['8', 'v8', 'v8.0'].includes(variant)) variant = ''; break;
    case 'armhf': architecture = 'arm'; variant = 'v7'; break;
    case 'armel': architecture = 'arm'; variant = 'v6'; break;
    case 'arm': if (variant === '' || variant === '7') variant = 'v7'; else if (/^[5-8]$/.test(variant)) variant = `v${variant}`; break;
  }
  return { os, architecture, variant };
}

/** `linux/arm64/v8` → {os, architecture, variant}. */
export function parsePlatform(text: string): PlatformSpec {
  const [os, architecture, variant, extra] = text.split('/');
  if (!os || !architecture || extra !== undefined) {
    throw new TsdError('invalid-argument', `invalid platform "${text}": want os/arch[/variant], e.g. linux/arm64/v8`);
  }
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(platform: PlatformSpec | Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/** The platform of the machine this code runs on (Node's names mapped to OCI's). */
export function hostPlatform(): PlatformSpec {
  const architecture = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' } as Record<string, string>)[process.arch] ?? process.arch;
  return { os: 'linux', architecture };
}

/** How well `candidate` runs on `wanted`: 0 is an exact match, higher is worse, undefined is no match. */
export function platformRank(wanted: PlatformSpec, candidate: PlatformSpec): number | undefined {
  const w = normalizePlatform(wanted);
  const c = normalizePlatform(candidate);
  if (w.os !== c.os || w.architecture !== c.architecture) return undefined;
  if (w.variant === c.variant) return 0;
  if (w.architecture === 'arm') {
    const have = Number(w.variant.slice(1));
    const got = Number(c.variant.slice(1));
    return got < have ? have - got : undefined;
  }
  // amd64 microarchitecture levels (v2, v3…): an older level runs on a newer host.
  if (w.architecture === 'amd64') {
    const level = (v: string): number => (v === '' ? 1 : Number(v.slice(1)));
    return level(c.variant) < level(w.variant) ? level(w.variant) - level(c.variant) : undefined;
  }
  return undefined;
}

/**
 * Picks the manifest for `wanted` from an index's entries; entries without a platform are
 * skipped (attestations and the like). No match is 'not-found' naming what the index offers.
 */
export function selectManifest(entries: Descriptor[], wanted: PlatformSpec, what: string): Descriptor {
  let best: { entry: Descriptor; rank: number } | undefined;
  for (const entry of entries) {
    if (!entry.platform || entry.platform.os === 'unknown') continue;
    const rank = platformRank(wanted, entry.platform);
    if (rank !== undefined && (!best || rank < best.rank)) best = { entry, rank };
  }
  if (best) return best.entry;
  const available = entries.filter((e) => e.platform && e.platform.os !== 'unknown').map((e) => formatPlatform(e.platform as Platform));
  throw new TsdError(
    'not-found',
    `no matching manifest for ${formatPlatform(wanted)} in ${what}; available platforms: ${available.length ? [...new Set(available)].join(', ') : 'none'}`,
  );
}
