/**
 * The registry client's boundary: how it is configured, what it reports, and the narrow
 * interfaces it writes into. Vocabulary: an *endpoint* is one base URL that can serve a
 * registry's repositories (a mirror or the origin); a *scope* is what a token grants
 * (`repository:library/busybox:pull`).
 */
import type { Descriptor, ImageReference, Platform } from '../../api/oci-image-spec.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface RegistryClientOptions {
  /** Mirror base URLs per registry domain, tried in order before the origin (`docker.io` → [...]). */
  mirrors?: Record<string, string[]>;
  /**
   * Origin base URL per domain, replacing the default (`https://<domain>`, or
   * `https://registry-1.docker.io` for docker.io). `null` means the domain has no origin:
   * only its mirrors are tried — what tests use so that nothing ever reaches the internet.
   */
  origins?: Record<string, string | null>;
  /** `host[:port]` of registries spoken to over plain HTTP (https otherwise). */
  insecureRegistries?: string[];
  /**
   * Credentials for an endpoint, used for Basic auth and token requests. `host` is the endpoint's
   * `host[:port]` (`registry-1.docker.io` for Docker Hub), `registry` the reference's domain
   * (`docker.io`) — look up by either.
   */
  credentials?: (host: string, registry: string) => Credentials | undefined;
  /** Attempts per request on 5xx/429/network errors (default 4), first delay in ms (default 200). */
  retry?: { attempts?: number; baseDelayMs?: number };
  /** Parallel blob downloads or uploads (default 3, like dockerd). */
  concurrency?: number;
  userAgent?: string;
}

/** One base URL that serves a registry's repositories. */
export interface Endpoint {
  /** `http://127.0.0.1:5000` (no trailing slash). */
  baseUrl: string;
  /** `127.0.0.1:5000` — the key for credentials and auth challenges. */
  host: string;
  /** The registry domain this endpoint serves (`docker.io` for its mirrors too). */
  registry: string;
  mirror: boolean;
}

/** Where a tag or digest points, with the repository it was found in. */
export interface ResolvedReference {
  reference: ImageReference;
  endpoint: Endpoint;
  descriptor: Descriptor;
}

/** Progress of a pull or push, typed per event (dockerd renders these as JSON messages). */
export type TransferEvent =
  | { kind: 'resolved'; reference: string; digest: string }
  | { kind: 'blob-exists'; digest: string; size: number }
  | { kind: 'blob-start'; digest: string; size: number }
  | { kind: 'blob-progress'; digest: string; done: number; size: number }
  | { kind: 'blob-mounted'; digest: string; from: string }
  | { kind: 'blob-done'; digest: string; size: number }
  | { kind: 'manifest-done'; digest: string };

export type TransferListener = (event: TransferEvent) => void;

/** The platform a pull wants; architecture/variant are normalised before matching. */
export type PlatformSpec = Pick<Platform, 'os' | 'architecture' | 'variant'>;
