/**
 * OCI image-spec types and media types, Docker's schema2 equivalents, digests, and image
 * references parsed and normalised exactly like Docker's (distribution/reference):
 * `nginx` → `docker.io/library/nginx:latest`.
 *
 * Vocabulary: a *descriptor* points at content by digest and size; a *manifest* lists a config and
 * layers; an *index* (Docker: manifest list) lists manifests per platform; a *reference* names a
 * repository in a registry plus a tag and/or a digest.
 */
import { TsdError } from './errors.js';

export const MediaType = {
  ociDescriptor: 'application/vnd.oci.descriptor.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;
export type KnownMediaType = (typeof MediaType)[keyof typeof MediaType];

/** Media types that are a single-platform image manifest. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [MediaType.ociManifest, MediaType.dockerManifest];
/** Media types that are an index of manifests. */
export const INDEX_MEDIA_TYPES: readonly string[] = [MediaType.ociIndex, MediaType.dockerManifestList];

export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_MEDIA_TYPES.includes(mediaType);
}
export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_MEDIA_TYPES.includes(mediaType);
}

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  /** Base64 of the content, when embedded. */
  data?: string;
  platform?: Platform;
  artifactType?: string;
}

/** An image manifest (OCI) or Docker schema2 manifest: same shape, different media types. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An OCI index or Docker manifest list. */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** The runtime part of an image config (OCI `config`, Docker's `container_config` shape). */
export interface ImageRuntimeConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
  OnBuild?: string[] | null;
  Shell?: string[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  config?: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
}

// ---------------------------------------------------------------------------------------------
// Digests

export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';
const DIGEST_HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha384: 96, sha512: 128 };

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
}

/** Parses `sha256:<64 lowercase hex>` (and sha384/sha512); anything else is invalid-argument. */
export function parseDigest(digest: string): ParsedDigest {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (colon <= 0 || !(algorithm in DIGEST_HEX_LENGTH)) {
    throw new TsdError('invalid-argument', `invalid digest "${digest}": unsupported or missing algorithm (want sha256:<hex>)`);
  }
  const length = DIGEST_HEX_LENGTH[algorithm as DigestAlgorithm];
  if (hex.length !== length || !/^[a-f0-9]+$/.test(hex)) {
    throw new TsdError('invalid-argument', `invalid digest "${digest}": ${algorithm} needs ${length} lowercase hex characters`);
  }
  return { algorithm: algorithm as DigestAlgorithm, hex };
}

export function isDigest(value: string): boolean {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// References

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

/** A fully normalised reference: domain always present, tag `latest` when neither tag nor digest. */
export interface ImageReference {
  /** Registry host, with port if any: `docker.io`, `localhost:5000`, `[::1]:5000`. */
  domain: string;
  /** Repository path inside the registry: `library/nginx`. */
  path: string;
  tag?: string;
  digest?: string;
}

// The grammar of distribution/reference, piece by piece.
const alphaNumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|${ipv6})`;
const domainPattern = `${host}(?::[0-9]+)?`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE_RE = new RegExp(
  `^((?:${domainPattern}/)?${pathComponent}(?:/${pathComponent})*)(?::(${tagPattern}))?(?:@(${digestPattern}))?$`,
);
const DOMAIN_RE = new RegExp(`^${domainPattern}$`);
const PATH_RE = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const TAG_RE = new RegExp(`^${tagPattern}$`);
const ANCHORED_HEX64_RE = /^[a-f0-9]{64}$/;

function invalid(input: string, why: string): TsdError {
  return new TsdError('invalid-argument', `invalid reference format "${input}": ${why}`);
}

/** Splits a familiar name into domain and path the way Docker does (docker.io and library/ added). */
function splitDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  let domain: string;
  let path: string;
  // The first component is a registry only if it looks like one: has a dot or a port, is
  // "localhost", or has upper case (repository paths are lower case only).
  if (slash === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    path = name;
  } else {
    domain = first;
    path = name.slice(slash + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path;
  return { domain, path };
}

/**
 * Parses a reference as the docker CLI does (`nginx`, `nginx:1.25`, `host:5000/a/b@sha256:…`)
 * and normalises it: docker.io and library/ are added, and `latest` when there is no tag or digest.
 */
export function parseReference(input: string): ImageReference {
  if (input.length === 0) throw invalid(input, 'empty reference');
  if (ANCHORED_HEX64_RE.test(input)) {
    throw invalid(input, 'a 64-character hexadecimal string is an image ID, not a repository name');
  }
  const at = input.indexOf('@');
  const beforeDigest = at === -1 ? input : input.slice(0, at);
  // A ':' after the last '/' starts the tag; a ':' before it is the registry's port.
  const lastSlash = beforeDigest.lastIndexOf('/');
  const tagColon = beforeDigest.indexOf(':', lastSlash + 1);
  const name = tagColon === -1 ? beforeDigest : beforeDigest.slice(0, tagColon);
  const { domain, path } = splitDomain(name);
  if (path.toLowerCase() !== path) throw invalid(input, `repository name "${path}" must be lowercase`);
  const canonical = `${domain}/${path}${input.slice(name.length)}`;
  const match = REFERENCE_RE.exec(canonical);
  if (!match) throw invalid(input, describeProblem(domain, path, input.slice(name.length)));
  const [, fullName = '', tag, digest] = match;
  if (fullName.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(input, `repository name must not be longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  if (digest !== undefined) parseDigest(digest);
  const reference: ImageReference = { domain, path };
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  if (tag === undefined && digest === undefined) reference.tag = DEFAULT_TAG;
  return reference;
}

function describeProblem(domain: string, path: string, rest: string): string {
  if (!DOMAIN_RE.test(domain)) return `"${domain}" is not a valid registry host`;
  if (!PATH_RE.test(path)) {
    return `repository name "${path}" may contain only lowercase letters, digits and separators (. _ __ -), in components separated by /`;
  }
  const digestAt = rest.indexOf('@');
  const tag = rest.startsWith(':') ? rest.slice(1, digestAt === -1 ? undefined : digestAt) : undefined;
  if (tag !== undefined && !TAG_RE.test(tag)) {
    return `tag "${tag}" must be 1-128 characters of letters, digits, _ . - and not start with . or -`;
  }
  if (digestAt !== -1) return `digest "${rest.slice(digestAt + 1)}" is not algorithm:hex`;
  return 'unexpected characters';
}

/** `docker.io/library/nginx` — the repository with its registry. */
export function repositoryName(reference: ImageReference): string {
  return `${reference.domain}/${reference.path}`;
}

/** The full normalised string: `docker.io/library/nginx:latest`, `host:5000/a@sha256:…`. */
export function formatReference(reference: ImageReference): string {
  let out = repositoryName(reference);
  if (reference.tag !== undefined) out += `:${reference.tag}`;
  if (reference.digest !== undefined) out += `@${reference.digest}`;
  return out;
}

/** The short form Docker shows users: `nginx:latest`, `user/app:1`, `host:5000/a:b`. */
export function familiarReference(reference: ImageReference): string {
  let name = repositoryName(reference);
  if (reference.domain === DEFAULT_DOMAIN) {
    name = reference.path.startsWith(OFFICIAL_REPO_PREFIX) && reference.path.split('/').length === 2
      ? reference.path.slice(OFFICIAL_REPO_PREFIX.length)
      : reference.path;
  }
  return formatReference({ ...reference, domain: '', path: name }).slice(1);
}
